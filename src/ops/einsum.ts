// einsum(equation, ...tensors): Einstein summation with PyTorch's equation language (letters,
// '->', '...', implicit output). Written from ops: a repeated letter takes a diagonal, a letter no
// one else needs is summed out, and operands are contracted left to right as batched matmuls.

import type { Tensor } from '../tensor/tensor.js';
import { fmt, prod } from '../tensor/shape.js';
import { defineOp } from './dispatch.js';
import { permute, reshape } from './layout.js';
import { expand, sum } from './broadcast.js';
import { matmul } from './linalg.js';
import { diagonal } from './matrix.js';

/** An operand while the equation is reduced: its tensor and one label per dim. */
interface Term { t: Tensor; labels: string[] }

const LETTER = /^[a-zA-Z]$/;

/** The labels of one side of the equation; '...' becomes one private label per broadcast dim. */
function parseTerm(eq: string, s: string, ndim: number | null, ell: number): string[] {
  const out: string[] = [];
  let seen = false;
  for (let i = 0; i < s.length; i++) {
    if (s.startsWith('...', i)) {
      if (seen) throw new Error(`einsum: '${eq}': '...' appears twice in '${s}'`);
      seen = true;
      const named = s.replace('...', '').length;
      const k = ndim === null ? ell : ndim - named;
      if (k < 0) throw new Error(`einsum: '${eq}': '${s}' names more dims than the operand has (${ndim})`);
      // the ellipsis dims are aligned from the right, like broadcasting
      for (let j = ell - k; j < ell; j++) out.push(`…${j}`);
      i += 2;
    } else if (LETTER.test(s[i]!)) {
      out.push(s[i]!);
    } else {
      throw new Error(`einsum: '${eq}': '${s[i]}' is not a letter (subscripts are a-z, A-Z and '...')`);
    }
  }
  return out;
}

/** Takes the diagonal of every repeated label of a term (einsum('ii->i')). */
function diagonals(term: Term, temps: Tensor[]): Term {
  let { t, labels } = term;
  for (;;) {
    const i = labels.findIndex((l, k) => labels.indexOf(l) !== k);
    if (i < 0) return { t, labels };
    const first = labels.indexOf(labels[i]!);
    if (t.shape[first] !== t.shape[i]) throw new Error(`einsum: subscript '${labels[i]}' is repeated on dims of sizes ${t.shape[first]} and ${t.shape[i]}`);
    t = diagonal(t, 0, first, i);
    temps.push(t);
    labels = [...labels.filter((_, k) => k !== first && k !== i), labels[i]!];
  }
}

/** Sums out the labels of a term not in keep. */
function sumOut(term: Term, keep: Set<string>, temps: Tensor[]): Term {
  const dims = term.labels.map((l, i) => (keep.has(l) ? -1 : i)).filter((i) => i >= 0);
  if (dims.length === 0) return term;
  const t = sum(term.t, dims);
  temps.push(t);
  return { t, labels: term.labels.filter((l) => keep.has(l)) };
}

/** Contracts two terms as one batched matmul: [batch, left, shared] @ [batch, shared, right]. */
function contract(a: Term, b: Term, keep: Set<string>, temps: Tensor[]): Term {
  const inB = new Set(b.labels);
  const batch = a.labels.filter((l) => inB.has(l) && keep.has(l));
  const shared = a.labels.filter((l) => inB.has(l) && !keep.has(l));
  const left = a.labels.filter((l) => !inB.has(l));
  const right = b.labels.filter((l) => !a.labels.includes(l));
  const size = (t: Term, l: string): number => t.t.shape[t.labels.indexOf(l)]!;
  for (const l of [...batch, ...shared]) {
    if (size(a, l) !== size(b, l)) throw new Error(`einsum: subscript '${l.startsWith('…') ? '...' : l}' has size ${size(a, l)} in one operand and ${size(b, l)} in another`);
  }
  const arrange = (t: Term, order: string[], shape: number[]): Tensor => {
    const p = permute(t.t, order.map((l) => t.labels.indexOf(l)));
    const r = reshape(p, shape);
    temps.push(p, r);
    return r;
  };
  const nb = prod(batch.map((l) => size(a, l))), nl = prod(left.map((l) => size(a, l)));
  const ns = prod(shared.map((l) => size(a, l))), nr = prod(right.map((l) => size(b, l)));
  const A = arrange(a, [...batch, ...left, ...shared], [nb, nl, ns]);
  const B = arrange(b, [...batch, ...shared, ...right], [nb, ns, nr]);
  const C = matmul(A, B);
  const out = reshape(C, [...batch.map((l) => size(a, l)), ...left.map((l) => size(a, l)), ...right.map((l) => size(b, l))]);
  temps.push(C, out);
  return { t: out, labels: [...batch, ...left, ...right] };
}

/** einsum('ij,jk->ik', a, b): the sum over the repeated subscripts of the products, like torch.einsum. */
export const einsum = defineOp('einsum', (equation: string, ...tensors: (Tensor | readonly Tensor[])[]): Tensor => {
  const ts = (tensors.length === 1 && Array.isArray(tensors[0]) ? tensors[0] : tensors) as Tensor[];
  const eq = equation.replace(/\s+/g, '');
  const [lhs, rhs, extra] = eq.split('->');
  if (extra !== undefined) throw new Error(`einsum: '${equation}' has more than one '->'`);
  const sides = lhs!.split(',');
  if (sides.length !== ts.length) throw new Error(`einsum: '${equation}' has ${sides.length} operand(s) but ${ts.length} tensor(s) were given`);
  // the ellipsis covers as many dims as the widest operand needs
  let ell = 0;
  sides.forEach((s, i) => { if (s.includes('...')) ell = Math.max(ell, ts[i]!.ndim - s.replace('...', '').length); });
  const temps: Tensor[] = [];
  let terms: Term[] = sides.map((s, i) => {
    const labels = parseTerm(equation, s, ts[i]!.ndim, ell);
    if (labels.length !== ts[i]!.ndim) throw new Error(`einsum: '${s}' names ${labels.length} dims but operand ${i} has ${ts[i]!.ndim} (shape ${fmt(ts[i]!.shape)})`);
    return { t: ts[i]!, labels };
  });
  // ellipsis dims of size 1 broadcast against the others
  const ellSize = new Map<string, number>();
  for (const term of terms) term.labels.forEach((l, k) => {
    if (!l.startsWith('…')) return;
    const n = term.t.shape[k]!, m = ellSize.get(l) ?? 1;
    if (n !== 1 && m !== 1 && n !== m) throw new Error(`einsum: the '...' dims of the operands do not broadcast (${m} and ${n})`);
    ellSize.set(l, n === 1 ? m : n);
  });
  terms = terms.map((term) => {
    if (!term.labels.some((l, k) => l.startsWith('…') && term.t.shape[k] !== ellSize.get(l))) return term;
    const t = expand(term.t, term.labels.map((l, k) => (l.startsWith('…') ? ellSize.get(l)! : term.t.shape[k]!)));
    temps.push(t);
    return { t, labels: term.labels };
  });
  let out: string[];
  if (rhs === undefined) {
    // implicit output: the ellipsis dims, then the letters used once, in alphabetical order
    const count = new Map<string, number>();
    for (const term of terms) for (const l of term.labels) count.set(l, (count.get(l) ?? 0) + 1);
    const ellLabels = [...ellSize.keys()].sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)));
    out = [...ellLabels, ...[...count].filter(([l, c]) => c === 1 && !l.startsWith('…')).map(([l]) => l).sort()];
  } else {
    out = parseTerm(equation, rhs, null, ell);
    const all = new Set(terms.flatMap((t) => t.labels));
    for (const l of out) {
      if (!all.has(l)) throw new Error(`einsum: '${equation}': output subscript '${l}' does not appear in the operands`);
      if (out.indexOf(l) !== out.lastIndexOf(l)) throw new Error(`einsum: '${equation}': output subscript '${l}' appears more than once`);
    }
  }
  try {
    terms = terms.map((t) => diagonals(t, temps));
    // what each step must keep: the output's labels and those of the operands still to come
    const needed = (from: number): Set<string> => new Set([...out, ...terms.slice(from).flatMap((t) => t.labels)]);
    let cur = sumOut(terms[0]!, new Set([...needed(1)]), temps);
    for (let i = 1; i < terms.length; i++) {
      const keep = needed(i + 1);
      const next = sumOut(terms[i]!, new Set([...keep, ...cur.labels]), temps);
      cur = sumOut(cur, new Set([...keep, ...next.labels]), temps);
      cur = contract(cur, next, keep, temps);
    }
    cur = sumOut(cur, new Set(out), temps);
    const result = permute(cur.t, out.map((l) => cur.labels.indexOf(l)));
    return result;
  } finally {
    for (const t of temps) if (!ts.includes(t)) t.dispose();
  }
});
