// Every file reader under property-based fuzzing (issue 11): a bounded run here (NABLA_FUZZ_RUNS,
// default 150 per property); scripts/fuzz-readers.ts runs the same properties for as long as asked.
import { test } from 'node:test';
import fc from 'fast-check';
import { readerProperties } from './helpers/reader-fuzz.js';

const runs = Number(process.env.NABLA_FUZZ_RUNS ?? 150);

for (const { reader, name, prop } of readerProperties()) {
  test(`${reader}: ${name} (${runs} cases)`, async () => {
    await fc.assert(prop, { numRuns: runs });
  });
}
