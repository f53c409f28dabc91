// torchvision's ResNet (BasicBlock, Bottleneck, resnet18/34/50), ported line by line so that the
// siamese_network port builds the same network, with PyTorch's parameter names (conv1.weight,
// layer1.0.bn1.running_mean, layer2.0.downsample.0.weight, …): PyTorch's state dicts load as they are.
//
// Original: https://github.com/pytorch/vision/blob/v0.14.1/torchvision/models/resnet.py
// (torchvision 0.14.1, Debian's python3-torchvision, the version the reference script runs;
// BSD-3-Clause, Copyright (c) Soumith Chintala 2016). Only what resnet18/34/50 need is ported.
// Run: nothing to run by itself; `node --import tsx examples/ports/siamese_network.ts` uses it.
//
// Mapping rules, not counted: camelCase names, `.forward(x)` for module calls, `new` before a class,
// Python operators as methods (`out += identity` → `out.add_(identity)`), types on signatures,
// keyword defaults of ResNet(...)/resnetNN(...) as one options object.
// Lines that differ beyond those (5 items):
//  1. `nn.ReLU(inplace=True)` → `new nn.ReLU()` (3 places): Nabla's ReLU has no `inplace` option;
//     out of place gives the same numbers and gradients.
//  2. `_log_api_usage_once(self)` is left out: it is torchvision's usage telemetry.
//  3. `block(self.inplanes, planes, groups=…, base_width=…, dilation=…, norm_layer=…)` passes
//     stride 1 and downsample null positionally: a JS call has no keyword arguments.
//  4. `_resnet`: `weights` must be null — pretrained weights are downloaded from a hub in torchvision,
//     which this library never does; load a state dict (safetensors) instead. `progress` is unused.
//  5. `torch.flatten(x, 1)` → `nb.flatten(x, 1)` (the namespace is `nb`).
import * as nb from '../../src/index.js';

const { nn } = nb;
type Tensor = nb.Tensor;
/** A layer whose forward maps one tensor to one tensor (what norm_layer, downsample and blocks are). */
type Layer = { forward(x: Tensor): Tensor } & nb.nn.Module;
/** What norm_layer makes: a layer with an affine weight (null without one). */
type Norm = Layer & { weight: Tensor | null };
type NormLayer = new (numFeatures: number) => Norm;
type Block = typeof BasicBlock | typeof Bottleneck;

/** 3x3 convolution with padding */
export function conv3x3(inPlanes: number, outPlanes: number, stride = 1, groups = 1, dilation = 1): nb.nn.Conv2d {
  return new nn.Conv2d(
    inPlanes,
    outPlanes,
    3,
    { stride, padding: dilation, groups, bias: false, dilation },
  );
}

/** 1x1 convolution */
export function conv1x1(inPlanes: number, outPlanes: number, stride = 1): nb.nn.Conv2d {
  return new nn.Conv2d(inPlanes, outPlanes, 1, { stride, bias: false });
}

export class BasicBlock extends nn.Module {
  static expansion = 1;
  conv1: nb.nn.Conv2d;
  bn1: Norm;
  relu: nb.nn.ReLU;
  conv2: nb.nn.Conv2d;
  bn2: Norm;
  downsample: Layer | null;
  stride: number;

  constructor(
    inplanes: number,
    planes: number,
    stride = 1,
    downsample: Layer | null = null,
    groups = 1,
    baseWidth = 64,
    dilation = 1,
    normLayer: NormLayer | null = null,
  ) {
    super();
    if (normLayer === null) normLayer = nn.BatchNorm2d;
    if (groups !== 1 || baseWidth !== 64) throw new Error('BasicBlock only supports groups=1 and base_width=64');
    if (dilation > 1) throw new Error('Dilation > 1 not supported in BasicBlock');
    // Both self.conv1 and self.downsample layers downsample the input when stride != 1
    this.conv1 = conv3x3(inplanes, planes, stride);
    this.bn1 = new normLayer(planes);
    this.relu = new nn.ReLU();
    this.conv2 = conv3x3(planes, planes);
    this.bn2 = new normLayer(planes);
    this.downsample = downsample;
    this.stride = stride;
  }

  override forward(x: Tensor): Tensor {
    let identity = x;

    let out = this.conv1.forward(x);
    out = this.bn1.forward(out);
    out = this.relu.forward(out);

    out = this.conv2.forward(out);
    out = this.bn2.forward(out);

    if (this.downsample !== null) identity = this.downsample.forward(x);

    out.add_(identity);
    out = this.relu.forward(out);

    return out;
  }
}

export class Bottleneck extends nn.Module {
  // Bottleneck in torchvision places the stride for downsampling at 3x3 convolution(self.conv2)
  // while original implementation places the stride at the first 1x1 convolution(self.conv1)
  // according to "Deep residual learning for image recognition" https://arxiv.org/abs/1512.03385.
  // This variant is also known as ResNet V1.5.
  static expansion = 4;
  conv1: nb.nn.Conv2d;
  bn1: Norm;
  conv2: nb.nn.Conv2d;
  bn2: Norm;
  conv3: nb.nn.Conv2d;
  bn3: Norm;
  relu: nb.nn.ReLU;
  downsample: Layer | null;
  stride: number;

  constructor(
    inplanes: number,
    planes: number,
    stride = 1,
    downsample: Layer | null = null,
    groups = 1,
    baseWidth = 64,
    dilation = 1,
    normLayer: NormLayer | null = null,
  ) {
    super();
    if (normLayer === null) normLayer = nn.BatchNorm2d;
    const width = Math.trunc(planes * (baseWidth / 64.0)) * groups;
    // Both self.conv2 and self.downsample layers downsample the input when stride != 1
    this.conv1 = conv1x1(inplanes, width);
    this.bn1 = new normLayer(width);
    this.conv2 = conv3x3(width, width, stride, groups, dilation);
    this.bn2 = new normLayer(width);
    this.conv3 = conv1x1(width, planes * Bottleneck.expansion);
    this.bn3 = new normLayer(planes * Bottleneck.expansion);
    this.relu = new nn.ReLU();
    this.downsample = downsample;
    this.stride = stride;
  }

  override forward(x: Tensor): Tensor {
    let identity = x;

    let out = this.conv1.forward(x);
    out = this.bn1.forward(out);
    out = this.relu.forward(out);

    out = this.conv2.forward(out);
    out = this.bn2.forward(out);
    out = this.relu.forward(out);

    out = this.conv3.forward(out);
    out = this.bn3.forward(out);

    if (this.downsample !== null) identity = this.downsample.forward(x);

    out.add_(identity);
    out = this.relu.forward(out);

    return out;
  }
}

export interface ResNetOptions {
  numClasses?: number;
  zeroInitResidual?: boolean;
  groups?: number;
  widthPerGroup?: number;
  replaceStrideWithDilation?: boolean[] | null;
  normLayer?: NormLayer | null;
}

export class ResNet extends nn.Module {
  private _normLayer: NormLayer;
  inplanes: number;
  dilation: number;
  groups: number;
  baseWidth: number;
  conv1: nb.nn.Conv2d;
  bn1: Norm;
  relu: nb.nn.ReLU;
  maxpool: nb.nn.MaxPool2d;
  layer1: nb.nn.Sequential;
  layer2: nb.nn.Sequential;
  layer3: nb.nn.Sequential;
  layer4: nb.nn.Sequential;
  avgpool: nb.nn.AdaptiveAvgPool2d;
  fc: nb.nn.Linear;

  constructor(
    block: Block,
    layers: number[],
    { numClasses = 1000, zeroInitResidual = false, groups = 1, widthPerGroup = 64, replaceStrideWithDilation = null, normLayer = null }: ResNetOptions = {},
  ) {
    super();
    if (normLayer === null) normLayer = nn.BatchNorm2d;
    this._normLayer = normLayer;

    this.inplanes = 64;
    this.dilation = 1;
    if (replaceStrideWithDilation === null) {
      // each element in the tuple indicates if we should replace
      // the 2x2 stride with a dilated convolution instead
      replaceStrideWithDilation = [false, false, false];
    }
    if (replaceStrideWithDilation.length !== 3) {
      throw new Error(
        'replace_stride_with_dilation should be None ' +
          `or a 3-element tuple, got ${JSON.stringify(replaceStrideWithDilation)}`,
      );
    }
    this.groups = groups;
    this.baseWidth = widthPerGroup;
    this.conv1 = new nn.Conv2d(3, this.inplanes, 7, { stride: 2, padding: 3, bias: false });
    this.bn1 = new normLayer(this.inplanes);
    this.relu = new nn.ReLU();
    this.maxpool = new nn.MaxPool2d(3, { stride: 2, padding: 1 });
    this.layer1 = this._makeLayer(block, 64, layers[0]!);
    this.layer2 = this._makeLayer(block, 128, layers[1]!, 2, replaceStrideWithDilation[0]);
    this.layer3 = this._makeLayer(block, 256, layers[2]!, 2, replaceStrideWithDilation[1]);
    this.layer4 = this._makeLayer(block, 512, layers[3]!, 2, replaceStrideWithDilation[2]);
    this.avgpool = new nn.AdaptiveAvgPool2d([1, 1]);
    this.fc = new nn.Linear(512 * block.expansion, numClasses);

    for (const m of this.modules()) {
      if (m instanceof nn.Conv2d) {
        nn.init.kaimingNormal_(m.weight, { mode: 'fan_out', nonlinearity: 'relu' });
      } else if (m instanceof nn.BatchNorm2d || m instanceof nn.GroupNorm) {
        nn.init.constant_(m.weight!, 1);
        nn.init.constant_(m.bias!, 0);
      }
    }

    // Zero-initialize the last BN in each residual branch,
    // so that the residual branch starts with zeros, and each residual block behaves like an identity.
    // This improves the model by 0.2~0.3% according to https://arxiv.org/abs/1706.02677
    if (zeroInitResidual) {
      for (const m of this.modules()) {
        if (m instanceof Bottleneck && m.bn3.weight !== null) {
          nn.init.constant_(m.bn3.weight, 0);
        } else if (m instanceof BasicBlock && m.bn2.weight !== null) {
          nn.init.constant_(m.bn2.weight, 0);
        }
      }
    }
  }

  private _makeLayer(
    block: Block,
    planes: number,
    blocks: number,
    stride = 1,
    dilate = false,
  ): nb.nn.Sequential {
    const normLayer = this._normLayer;
    let downsample: Layer | null = null;
    const previousDilation = this.dilation;
    if (dilate) {
      this.dilation *= stride;
      stride = 1;
    }
    if (stride !== 1 || this.inplanes !== planes * block.expansion) {
      downsample = new nn.Sequential(
        conv1x1(this.inplanes, planes * block.expansion, stride),
        new normLayer(planes * block.expansion),
      );
    }

    const layers: nb.nn.Module[] = [];
    layers.push(
      new block(
        this.inplanes, planes, stride, downsample, this.groups, this.baseWidth, previousDilation, normLayer,
      ),
    );
    this.inplanes = planes * block.expansion;
    for (let _ = 1; _ < blocks; _++) {
      layers.push(
        new block(
          this.inplanes,
          planes,
          1,
          null,
          this.groups,
          this.baseWidth,
          this.dilation,
          normLayer,
        ),
      );
    }

    return new nn.Sequential(...layers);
  }

  private _forwardImpl(x: Tensor): Tensor {
    // See note [TorchScript super()]
    x = this.conv1.forward(x);
    x = this.bn1.forward(x);
    x = this.relu.forward(x);
    x = this.maxpool.forward(x) as Tensor;

    x = this.layer1.forward(x);
    x = this.layer2.forward(x);
    x = this.layer3.forward(x);
    x = this.layer4.forward(x);

    x = this.avgpool.forward(x);
    x = nb.flatten(x, 1);
    x = this.fc.forward(x);

    return x;
  }

  override forward(x: Tensor): Tensor {
    return this._forwardImpl(x);
  }
}

export interface ResNetBuilderOptions extends ResNetOptions {
  /** must be null: no pretrained weights are downloaded (load a state dict instead) */
  weights?: null;
  progress?: boolean;
}

function _resnet(block: Block, layers: number[], weights: null, progress: boolean, kwargs: ResNetOptions): ResNet {
  if (weights !== null) throw new Error('resnet: pretrained weights are not downloaded here; pass weights: null and load a state dict (model.loadStateDict)');
  void progress;

  const model = new ResNet(block, layers, kwargs);

  return model;
}

/** ResNet-18 from "Deep Residual Learning for Image Recognition" (https://arxiv.org/pdf/1512.03385.pdf). */
export function resnet18({ weights = null, progress = true, ...kwargs }: ResNetBuilderOptions = {}): ResNet {
  return _resnet(BasicBlock, [2, 2, 2, 2], weights, progress, kwargs);
}

/** ResNet-34 from "Deep Residual Learning for Image Recognition". */
export function resnet34({ weights = null, progress = true, ...kwargs }: ResNetBuilderOptions = {}): ResNet {
  return _resnet(BasicBlock, [3, 4, 6, 3], weights, progress, kwargs);
}

/** ResNet-50 from "Deep Residual Learning for Image Recognition". */
export function resnet50({ weights = null, progress = true, ...kwargs }: ResNetBuilderOptions = {}): ResNet {
  return _resnet(Bottleneck, [3, 4, 6, 3], weights, progress, kwargs);
}
