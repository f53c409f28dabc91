# Writes fixtures/transforms.json: affine warps computed the way torchvision's F.affine does it
# (its inverse matrix with -angle, its pixel-centre grid, torch's grid_sample with zero padding),
# written out here because Debian ships torch without torchvision. Run with /usr/bin/python3.
import json, math, os
import torch
import torch.nn.functional as F

def inverse_matrix(angle, translate, scale):
    # torchvision.transforms.functional._get_inverse_affine_matrix with center (0, 0), no shear,
    # called with -angle as F.affine does for tensors.
    rot = math.radians(-angle)
    a, b, c, d = math.cos(rot), -math.sin(rot), math.sin(rot), math.cos(rot)
    m = [d, -b, 0.0, -c, a, 0.0]
    m = [v / scale for v in m]
    tx, ty = translate
    m[2] += m[0] * (-tx) + m[1] * (-ty)
    m[5] += m[3] * (-tx) + m[4] * (-ty)
    return m

def warp(img, angle, translate, scale, mode):
    c, h, w = img.shape
    theta = torch.tensor(inverse_matrix(angle, translate, scale), dtype=torch.float64).reshape(1, 2, 3)
    # torchvision.transforms.functional_tensor._gen_affine_grid
    base = torch.empty(1, h, w, 3, dtype=torch.float64)
    base[..., 0].copy_(torch.linspace(-w * 0.5 + 0.5, w * 0.5 + 0.5 - 1, steps=w, dtype=torch.float64))
    base[..., 1].copy_(torch.linspace(-h * 0.5 + 0.5, h * 0.5 + 0.5 - 1, steps=h, dtype=torch.float64).unsqueeze(-1))
    base[..., 2].fill_(1)
    rescaled = theta.transpose(1, 2) / torch.tensor([0.5 * w, 0.5 * h], dtype=torch.float64)
    grid = base.view(1, h * w, 3).bmm(rescaled).view(1, h, w, 2)
    return F.grid_sample(img.unsqueeze(0).double(), grid, mode=mode, padding_mode='zeros', align_corners=False)[0]

torch.manual_seed(0)
cases = []
for shape, angle, translate, scale, mode in [
    ([1, 5, 7], 17.0, [1, -2], 1.0, 'bilinear'),
    ([2, 6, 6], -33.0, [0, 0], 1.3, 'bilinear'),
    ([1, 8, 5], 41.0, [2, 1], 0.8, 'bilinear'),
    ([1, 7, 7], 23.0, [-1, 1], 1.1, 'nearest'),
    ([3, 4, 6], 0.0, [0, 0], 2.0, 'bilinear'),
]:
    img = torch.rand(shape, dtype=torch.float64)
    out = warp(img, angle, translate, scale, mode)
    cases.append({'shape': shape, 'angle': angle, 'translate': translate, 'scale': scale, 'mode': mode,
                  'input': img.flatten().tolist(), 'output': out.flatten().tolist()})
here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, '..', 'fixtures', 'transforms.json'), 'w') as f:
    json.dump({'torch': torch.__version__, 'cases': cases}, f, separators=(',', ':'))
