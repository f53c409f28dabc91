// Long fuzzing runs of every file reader (the properties of test/helpers/reader-fuzz.ts, which
// npm test runs briefly). Run: node --import tsx scripts/fuzz-readers.ts [runs per property] [seed]
// Prints, per property, the cases run and how many hostile inputs were accepted or refused; exits
// non-zero with the counterexample when a reader breaks its contract.
import fc from 'fast-check';
import { readerProperties, outcomes } from '../test/helpers/reader-fuzz.js';

const runs = Number(process.argv[2] ?? 20_000);
const seed = process.argv[3] === undefined ? Date.now() % 2 ** 31 : Number(process.argv[3]);
console.log(`fuzzing every reader: ${runs} cases per property, seed ${seed}`);
let failed = false;
const t0 = performance.now();
for (const { reader, name, prop } of readerProperties()) {
  const t = performance.now();
  const r = await fc.check(prop, { numRuns: runs, seed });
  const secs = ((performance.now() - t) / 1000).toFixed(1);
  if (r.failed) {
    failed = true;
    console.log(`FAIL ${reader}: ${name} after ${r.numRuns} cases (${secs} s)\n${fc.defaultReportMessage(r)}`);
  } else {
    console.log(`ok   ${reader}: ${name}: ${r.numRuns} cases (${secs} s)`);
  }
}
console.log('hostile inputs accepted / refused with an error naming the file:');
for (const [what, o] of Object.entries(outcomes)) console.log(`  ${what}: ${o.ok} / ${o.error}`);
console.log(`${((performance.now() - t0) / 1000).toFixed(0)} s in all`);
process.exitCode = failed ? 1 : 0;
