# Writes fixtures/ops.json: inputs, outputs and input gradients of every Nabla op, computed by PyTorch.
# Run with Debian's torch: /usr/bin/python3 scripts/gen_op_fixtures.py  (npm run fixtures)
# The cases live in scripts/op_fixtures/*.py, one module per op family; common.py has case().

import json
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, HERE)

from op_fixtures import common, elementwise, reduce, shape, nn, creation, records, ordering, matrices  # noqa: E402


def main():
    # new modules go last: the shared random stream keeps the earlier cases' inputs as they were
    for mod in (elementwise, reduce, shape, nn, creation, records, ordering, matrices):
        mod.build()
    cases = common.CASES
    ops = sorted({c['op'] for c in cases})
    out = os.path.normpath(os.path.join(HERE, '..', 'fixtures', 'ops.json'))
    doc = {'torch': torch.__version__, 'seed': common.SEED, 'ops': ops, 'cases': cases}
    with open(out, 'w') as f:
        json.dump(doc, f, separators=(',', ':'))
        f.write('\n')
    print(f'{len(cases)} cases over {len(ops)} ops -> {out} ({os.path.getsize(out) / 1e6:.2f} MB)')


if __name__ == '__main__':
    main()
