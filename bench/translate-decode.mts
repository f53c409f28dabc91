// Decoding speed of the transformer translation model (development aid): greedy and beam-5 translateIds of 64
// random sources of 10 tokens with the default transformer config and random weights, median of 3, with the
// token count and the first output (to check that two trees decode the same). Compare trees by running it on each:
// node --import tsx bench/translate-decode.mts [treeRoot=..] [threads=2]
const root = process.argv[2] ?? '..';
const nb = await import(`${root}/src/index.ts`) as typeof import('../src/index.js');
const { createWasmBackend } = await import(`${root}/src/backend/wasm/index.ts`) as typeof import('../src/backend/wasm/index.js');
const W = await createWasmBackend({ threads: Number(process.argv[3] ?? 2) });
nb.registerBackend(W);
nb.setBackend('wasm');
nb.manualSeed(1);
const model = nb.models.createSeq2Seq({ ...nb.models.defaultSeq2SeqConfig('transformer', 60, 40), dropout: 0 });
model.eval();
const N = 64, L = 10;
const src = nb.keep(nb.randint(3, 60, [N, L], { dtype: 'int32' } as never));
// translateIds reads BOS and EOS from the target vocabulary, nothing else
const voc = { src: {}, tgt: { special: (k: string) => (k === 'bos' ? 1 : 2) } } as never;
for (const beamSize of [1, 5]) {
  nb.models.translateIds(model, voc, src, { beamSize, maxLength: 20 });
  const t: number[] = [];
  for (let i = 0; i < 3; i++) { const a = performance.now(); nb.models.translateIds(model, voc, src, { beamSize, maxLength: 20 }); t.push(performance.now() - a); }
  t.sort((a, b) => a - b);
  const ids = nb.models.translateIds(model, voc, src, { beamSize, maxLength: 20 });
  console.log(`beam ${beamSize}: ${t[1]!.toFixed(0)} ms for ${N} sources (up to 20 steps); ${ids.flat().length} tokens out, the first: ${ids[0]!.join(',')}`);
}
W.close();
