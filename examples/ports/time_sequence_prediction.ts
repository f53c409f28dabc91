// Line-by-line port of pytorch/examples time_sequence_prediction/train.py (BSD-3-Clause):
// https://github.com/pytorch/examples/blob/77f55b912142e11fcfdf5b530231fb9c52f181e8/time_sequence_prediction/train.py
// Run: node --import tsx examples/ports/generate_sine_wave.ts && node --import tsx examples/ports/time_sequence_prediction.ts [--steps 15] [--length N]
// Two stacked LSTM cells learn sine waves with L-BFGS (float64), then predict 1000 points ahead.
// Checked against PyTorch by test/ports-time_sequence_prediction.test.ts (fixtures/ports/
// time_sequence_prediction.safetensors, written by scripts/ports/time_sequence_prediction_ref.py).
//
// Mechanical translations, not counted: torch → nb, snake_case → camelCase, module(x) → module.forward(x),
// keyword arguments → an options object, tuples → arrays, `outputs += [output]` → outputs.push(output),
// `with torch.no_grad():` → nb.noGrad(() => …), `if __name__ == '__main__'` → the same test on
// import.meta.url, print(a, b) → console.log(a, b), Python's class/def syntax and TypeScript's types.
// Lines that differ beyond that (9):
//  1. `input.split(1, 1)`: dim positional (PyTorch accepts this spelling too).
//  2. `return nb.cat(outputs, 1)` for `outputs = torch.cat(outputs, dim=1)` and `return outputs`:
//     a typed variable cannot change from an array to a tensor.
//  3. `let output!: nb.Tensor` declared before the loops: Python's loop variable outlives its loop.
//  4. the `--length` argument (use the first N time points of each wave: a quick run) and 5. the
//     `--future` argument (1000, the original's fixed value, by default), with 6. `future = opt.future`.
//  7. no `np.random.seed(0)` (nabla has one generator; nb.manualSeed(0) seeds it).
//  8. `const data = (await load('traindata.safetensors')).data` for torch.load('traindata.pt').
//  9. The drawing (matplotlib, 17 lines) is one line that writes the predictions as predict<i>.npy:
//     nabla has no plotting; the .npy file is what the plot showed, for any plotting tool.
import { fileURLToPath } from 'node:url';
import * as nb from '../../src/index.js';
import { load, writeNpyFile } from '../../src/node.js';
import { ArgumentParser, int } from './argparse.js';

const { nn, optim } = nb;

export class Sequence extends nn.Module {
  lstm1 = new nn.LSTMCell(1, 51);
  lstm2 = new nn.LSTMCell(51, 51);
  linear = new nn.Linear(51, 1);

  override forward(input: nb.Tensor, future = 0): nb.Tensor {
    const outputs: nb.Tensor[] = [];
    let hT = nb.zeros(input.size(0), 51, { dtype: 'float64' });
    let cT = nb.zeros(input.size(0), 51, { dtype: 'float64' });
    let hT2 = nb.zeros(input.size(0), 51, { dtype: 'float64' });
    let cT2 = nb.zeros(input.size(0), 51, { dtype: 'float64' });

    let output!: nb.Tensor;
    for (const inputT of input.split(1, 1)) {
      [hT, cT] = this.lstm1.forward(inputT, [hT, cT]);
      [hT2, cT2] = this.lstm2.forward(hT, [hT2, cT2]);
      output = this.linear.forward(hT2);
      outputs.push(output);
    }
    for (let i = 0; i < future; i++) {// if we should predict the future
      [hT, cT] = this.lstm1.forward(output, [hT, cT]);
      [hT2, cT2] = this.lstm2.forward(hT, [hT2, cT2]);
      output = this.linear.forward(hT2);
      outputs.push(output);
    }
    return nb.cat(outputs, 1);
  }
}

export async function main(argv?: string[]): Promise<void> {
  const parser = new ArgumentParser();
  parser.addArgument('--steps', { type: int, default: 15, help: 'steps to run' });
  parser.addArgument('--length', { type: int, default: 1000, help: 'time points of each wave to use (default: all 1000)' });
  parser.addArgument('--future', { type: int, default: 1000, help: 'points to predict after each test wave (default: 1000)' });
  const opt = parser.parseArgs(argv);
  // set random seed to 0
  nb.manualSeed(0);
  // load data and make training set
  const data = (await load('traindata.safetensors')).data!.index(':', `:${opt.length}`);
  const input = data.index('3:', ':-1');
  const target = data.index('3:', '1:');
  const testInput = data.index(':3', ':-1');
  const testTarget = data.index(':3', '1:');
  // build the model
  const seq = new Sequence();
  seq.double();
  const criterion = new nn.MSELoss();
  // use LBFGS as optimizer since we can load the whole data to train
  const optimizer = new optim.LBFGS(seq.parameters(), { lr: 0.8 });
  //begin to train
  for (let i = 0; i < opt.steps; i++) {
    console.log('STEP: ', i);
    const closure = () => {
      optimizer.zeroGrad();
      const out = seq.forward(input);
      const loss = criterion.forward(out, target);
      console.log('loss:', loss.item());
      loss.backward();
      return loss;
    };
    optimizer.step(closure);
    // begin to predict, no need to track gradient here
    const future = opt.future;
    const y = nb.noGrad(() => {
      const pred = seq.forward(testInput, future);
      const loss = criterion.forward(pred.index(':', `:-${future}`), testTarget);
      console.log('test loss:', loss.item());
      return pred.detach();
    });
    // draw the result
    writeNpyFile(`predict${i}.npy`, { dtype: y.dtype, shape: y.shape, data: y.dataSync() });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await main();
}
