# Fixture cases for creation functions with PyTorch's dtype rules: arange, linspace, eye, full.

import torch

from .common import case


def build():
    for name, args in (('end5', (5,)), ('1-4-step0.5', (1, 4, 0.5)), ('5-0-step-1.5', (5, 0, -1.5)),
                       ('-2-3', (-2, 3)), ('0-1-step0.1', (0, 1, 0.1)), ('empty', (3, 3))):
        kw = dict(zip(('start', 'end', 'step'), args)) if len(args) > 1 else {'end': args[0]}
        case(name, 'arange', [], lambda a=args: torch.arange(*a), kw)
    for name, (a, b, n) in (('0-1-5', (0, 1, 5)), ('-1-1-1', (-1, 1, 1)), ('2-(-3)-6', (2, -3, 6)),
                            ('0-1-0', (0, 1, 0))):
        case(name, 'linspace', [], lambda a=a, b=b, n=n: torch.linspace(a, b, n), {'start': a, 'end': b, 'steps': n})
    case('3', 'eye', [], lambda: torch.eye(3), {'n': 3})
    case('2x4', 'eye', [], lambda: torch.eye(2, 4), {'n': 2, 'm': 4})
    case('[2,3]-1.5', 'full', [], lambda: torch.full((2, 3), 1.5), {'shape': [2, 3], 'value': 1.5})
