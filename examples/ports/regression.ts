// Line-by-line port of pytorch/examples regression/main.py (BSD-3-Clause):
// https://github.com/pytorch/examples/blob/77f55b912142e11fcfdf5b530231fb9c52f181e8/regression/main.py
// Run: node --import tsx examples/ports/regression.ts
// Fits a degree-4 polynomial with one nn.Linear on random batches until the smooth L1 loss is < 1e-3.
// Checked against PyTorch by test/ports-regression.test.ts (fixtures/ports/regression.safetensors,
// written by scripts/ports/regression_ref.py with the original's functions and loop body).
//
// Mechanical translations, not counted: torch → nb, snake_case → camelCase, module(x) → module.forward(x),
// arithmetic operators on tensors → methods (`x ** i` → x.pow(i), `a * 5` → a.mul(5); JavaScript has no
// operator overloading), a list comprehension → Array.from, str.format → template strings, Python's
// def/for syntax and TypeScript's types.
// Lines that differ beyond that (7):
//  1. `const plus = …`, a helper for Python's '{:+.2f}' (JavaScript's toFixed has no sign flag), used
//     by 2. and 3., the two lines of polyDesc that format a coefficient.
//  4. `W.tolist().entries()` for `enumerate(W)`: a tensor is not iterable in nabla (its elements are
//     read as numbers, which '{:+.2f}' prints as it prints 0-d tensors).
//  5. `export function step(fc, batchX, batchY)`: the loop body (zero_grad … add_) is this function, so
//     the test can drive it with PyTorch's batches; the loop calls it (6.) with the batch, inside nb.scope so each
//     step's tensors are freed when it ends (a DataLoader would do that; this loop has none).
//  7. `param.detach().add_(param.grad!.mul(-0.1))` for `param.data.add_(-0.1 * param.grad)`: nabla's
//     tensors have no .data; detach() shares the storage the same way.
// The loop itself runs under the same test on import.meta.url as `if __name__ == '__main__'` would
// (the original is a plain script), so importing the module defines everything and trains nothing.
import { fileURLToPath } from 'node:url';
import * as nb from '../../src/index.js';

const F = nb.F;

export const POLY_DEGREE = 4;
export const wTarget = nb.randn(POLY_DEGREE, 1).mul(5);
export const bTarget = nb.randn(1).mul(5);

/** Builds features i.e. a matrix with columns [x, x^2, x^3, x^4]. */
export function makeFeatures(x: nb.Tensor): nb.Tensor {
  x = x.unsqueeze(1);
  return nb.cat(Array.from({ length: POLY_DEGREE }, (_, k) => x.pow(k + 1)), 1);
}

/** Approximated function. */
export function f(x: nb.Tensor): nb.Tensor {
  return x.mm(wTarget).add(bTarget.item());
}

const plus = (v: number): string => (v >= 0 ? '+' : '') + v.toFixed(2);

/** Creates a string description of a polynomial. */
export function polyDesc(W: nb.Tensor, b: nb.Tensor): string {
  let result = 'y = ';
  for (const [i, w] of (W.tolist() as number[]).entries()) {
    result += `${plus(w)} x^${i + 1} `;
  }
  result += `${plus(b.index(0).item())}`;
  return result;
}

/** Builds a batch i.e. (x, f(x)) pair. */
export function getBatch(batchSize = 32): [nb.Tensor, nb.Tensor] {
  const random = nb.randn(batchSize);
  const x = makeFeatures(random);
  const y = f(x);
  return [x, y];
}

export function step(fc: nb.nn.Linear, batchX: nb.Tensor, batchY: nb.Tensor): number {
  // Reset gradients
  fc.zeroGrad();

  // Forward pass
  const output = F.smoothL1Loss(fc.forward(batchX), batchY);
  const loss = output.item();

  // Backward pass
  output.backward();

  // Apply gradients
  for (const param of fc.parameters()) {
    param.detach().add_(param.grad!.mul(-0.1));
  }
  return loss;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  // Define model
  const fc = new nb.nn.Linear(wTarget.size(0), 1);

  let batchIdx = 1, loss = Infinity;
  for (; ; batchIdx++) {
    loss = nb.scope(() => {
      // Get data
      const [batchX, batchY] = getBatch();
      return step(fc, batchX, batchY);
    });

    // Stop criterion
    if (loss < 1e-3) {
      break;
    }
  }

  console.log(`Loss: ${loss.toFixed(6)} after ${batchIdx} batches`);
  console.log('==> Learned function:\t' + polyDesc(fc.weight.view(-1), fc.bias!));
  console.log('==> Actual function:\t' + polyDesc(wTarget.view(-1), bTarget));
}
