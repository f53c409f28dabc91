# Writes fixtures/pad-index.json: F.pad's reflect / replicate / circular modes and indexing with an
# integer tensor (x[t], x[:, t]), forward values and input gradients computed by PyTorch.
# Run with Debian's torch: /usr/bin/python3 scripts/gen_pad_index_fixtures.py
# Same case format as fixtures/ops.json (scripts/op_fixtures/common.py).

import json
import os
import sys

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, HERE)

from op_fixtures import common  # noqa: E402
from op_fixtures.common import case, f32, ints, rn  # noqa: E402


def main():
    for mode in ('reflect', 'replicate', 'circular'):
        case(f'{mode}-3d(2,1)', 'padMode', [f32(rn(2, 3, 5))], lambda x, m=mode: F.pad(x, (2, 1), mode=m), {'pad': [2, 1], 'mode': mode})
        case(f'{mode}-4d(1,2,2,0)', 'padMode', [f32(rn(1, 2, 4, 3))], lambda x, m=mode: F.pad(x, (1, 2, 2, 0), mode=m),
             {'pad': [1, 2, 2, 0], 'mode': mode})
        case(f'{mode}-5d(1,0,0,1,1,1)', 'padMode', [f32(rn(1, 1, 3, 3, 3))], lambda x, m=mode: F.pad(x, (1, 0, 0, 1, 1, 1), mode=m),
             {'pad': [1, 0, 0, 1, 1, 1], 'mode': mode})
    case('circular-whole-size(3,3)', 'padMode', [f32(rn(1, 2, 3))], lambda x: F.pad(x, (3, 3), mode='circular'), {'pad': [3, 3], 'mode': 'circular'})
    case('constant-value-2.5', 'padMode', [f32(rn(2, 3))], lambda x: F.pad(x, (1, 2), mode='constant', value=2.5),
         {'pad': [1, 2], 'mode': 'constant', 'value': 2.5})

    idx1 = torch.tensor([2, 0, 2, -1], dtype=torch.int32)
    case('dim0-1d', 'indexTensor', [f32(rn(4, 3)), idx1], lambda x, i: x[i.long()], {'at': 0})
    idx2 = torch.tensor([[1, 0], [3, 3], [-4, 2]], dtype=torch.int32)
    case('dim0-2d', 'indexTensor', [f32(rn(4, 3)), idx2], lambda x, i: x[i.long()], {'at': 0})
    case('dim1-after-slice', 'indexTensor', [f32(rn(2, 5, 3)), torch.tensor([4, 1], dtype=torch.int32)],
         lambda x, i: x[:, i.long()], {'at': 1})
    case('after-int', 'indexTensor', [f32(rn(3, 4, 2)), ints(0, 4, 5)], lambda x, i: x[1, i.long()], {'at': 1, 'before': 1})

    cases = common.CASES
    out = os.path.normpath(os.path.join(HERE, '..', 'fixtures', 'pad-index.json'))
    doc = {'torch': torch.__version__, 'seed': common.SEED, 'ops': sorted({c['op'] for c in cases}), 'cases': cases}
    with open(out, 'w') as f:
        json.dump(doc, f, separators=(',', ':'))
        f.write('\n')
    print(f'{len(cases)} cases -> {out}')


if __name__ == '__main__':
    main()
