# Op fixture cases, one module per op family (see scripts/gen_op_fixtures.py).
