// Line-by-line port of pytorch/examples time_sequence_prediction/generate_sine_wave.py (BSD-3-Clause):
// https://github.com/pytorch/examples/blob/77f55b912142e11fcfdf5b530231fb9c52f181e8/time_sequence_prediction/generate_sine_wave.py
// Run: node --import tsx examples/ports/generate_sine_wave.ts   (writes traindata.safetensors here,
// which examples/ports/time_sequence_prediction.ts reads)
// 100 sine waves of 1000 points, each shifted by a random whole number of points in [−80, 80).
//
// Mechanical translations, not counted: np/torch → nb, arithmetic operators on tensors → methods.
// Lines that differ beyond that (5):
//  1. `nb.manualSeed(2)` for np.random.seed(2), and 2. `nb.randint(-4 * T, 4 * T, [N])` for
//     np.random.randint: nabla's generator, not NumPy's, so the shifts (not the recipe) differ.
//  3. `const x = nb.arange(L).add(….reshape(N, 1))` for np.empty((N, L), 'int64') and `x[:] = …`: the
//     array is built by the broadcast add itself (int32, nabla's index dtype) instead of filled in place.
//  4. `nb.sin(x.double().div(1.0).div(T))` for np.sin(x / 1.0 / T).astype('float64'): NumPy's int64 / 1.0 is
//     float64, nabla's int32 / 1.0 float32 (PyTorch's rule), so the cast to float64 comes first.
//  5. `await save('traindata.safetensors', { data })` for torch.save(data, open('traindata.pt', 'wb')):
//     nabla writes safetensors (PyTorch's pickle format is code, not data).
import * as nb from '../../src/index.js';
import { save } from '../../src/node.js';

nb.manualSeed(2);

const T = 20;
const L = 1000;
const N = 100;

const x = nb.arange(L).add(nb.randint(-4 * T, 4 * T, [N]).reshape(N, 1));
const data = nb.sin(x.double().div(1.0).div(T));
await save('traindata.safetensors', { data });
