// IDX and CSV formats: files built by hand from the format descriptions (LeCun's IDX page,
// RFC 4180), so the expected values are the ones written into the bytes — and broken files are refused.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { csvToMatrix, parseCsv, parseCsvRows } from '../src/data/formats/csv.js';
import { readCsvFile } from '../src/data/formats/formats-node.js';
import { encodeIdx, looksLikeIdx, parseIdx } from '../src/data/formats/idx.js';
import { readIdxFile, writeIdxFile } from '../src/data/formats/idx-node.js';

const bytes = (...b: number[]) => new Uint8Array(b);

// ---------------------------------------------------------------- IDX

test('IDX: hand-built files of every element type', () => {
  const cases: [string, Uint8Array, string, number[], number[]][] = [
    // magic 0x00000801: unsigned byte, rank 1; dim 3 (big-endian u32); data 1 2 255
    ['uint8 [3]', bytes(0, 0, 8, 1, 0, 0, 0, 3, 1, 2, 255), 'uint8', [3], [1, 2, 255]],
    // 0x00000902: signed byte, rank 2 [1, 2]; 0xff = -1, 0x80 = -128
    ['int8 [1,2]', bytes(0, 0, 9, 2, 0, 0, 0, 1, 0, 0, 0, 2, 0xff, 0x80), 'int8', [1, 2], [-1, -128]],
    // 0x00000b01: short, big-endian 0x0102 = 258, 0xfffe = -2
    ['int16 [2]', bytes(0, 0, 0x0b, 1, 0, 0, 0, 2, 1, 2, 0xff, 0xfe), 'int16', [2], [258, -2]],
    // 0x00000c01: int, 0x00010000 = 65536, 0x80000000 = -2^31
    ['int32 [2]', bytes(0, 0, 0x0c, 1, 0, 0, 0, 2, 0, 1, 0, 0, 0x80, 0, 0, 0), 'int32', [2], [65536, -(2 ** 31)]],
    // 0x00000d01: float, 0x3fc00000 = 1.5 (IEEE 754 big-endian)
    ['float32 [1]', bytes(0, 0, 0x0d, 1, 0, 0, 0, 1, 0x3f, 0xc0, 0, 0), 'float32', [1], [1.5]],
    // 0x00000e01: double, 0xc000000000000000 = -2
    ['float64 [1]', bytes(0, 0, 0x0e, 1, 0, 0, 0, 1, 0xc0, 0, 0, 0, 0, 0, 0, 0), 'float64', [1], [-2]],
    ['empty uint8 [0, 28]', bytes(0, 0, 8, 2, 0, 0, 0, 0, 0, 0, 0, 28), 'uint8', [0, 28], []],
  ];
  for (const [what, b, type, shape, values] of cases) {
    const got = parseIdx(b, what);
    assert.equal(got.type, type, what);
    assert.deepEqual(got.shape, shape, what);
    assert.deepEqual([...got.data], values, what);
    assert.deepEqual(encodeIdx(got), b, `${what}: encode gives the same bytes back`);
    assert.ok(looksLikeIdx(b));
  }
});

test('IDX: broken files are refused with an error naming the file', () => {
  const bad: [string, Uint8Array, RegExp][] = [
    ['empty', bytes(), /too short for the 4-byte magic/],
    ['magic not starting 00 00', bytes(1, 0, 8, 1, 0, 0, 0, 0), /bad magic number 0x01000801/],
    ['still gzip-compressed', bytes(0x1f, 0x8b, 8, 0), /gzip-compressed/],
    ['unknown type 0x0a', bytes(0, 0, 0x0a, 1, 0, 0, 0, 0), /unknown element type 0x0a/],
    ['rank 0', bytes(0, 0, 8, 0), /rank 0/],
    ['dims truncated', bytes(0, 0, 8, 3, 0, 0, 0, 1), /too short for the 3 dims/],
    ['data truncated', bytes(0, 0, 8, 1, 0, 0, 0, 3, 1, 2), /needs 3 data bytes but the file has 2 \(truncated\?\)/],
    ['trailing bytes', bytes(0, 0, 8, 1, 0, 0, 0, 1, 1, 2), /trailing bytes/],
    ['dims of 2^32-1 squared', bytes(0, 0, 8, 2, 255, 255, 255, 255, 255, 255, 255, 255, 0), /needs \d+ data bytes/],
  ];
  for (const [what, b, re] of bad) {
    assert.throws(() => parseIdx(b, 'x.idx'), (e: Error) => {
      assert.match(e.message, /^IDX x\.idx: /, what);
      assert.match(e.message, re, `${what}: ${e.message}`);
      return true;
    }, what);
  }
  assert.throws(() => parseIdx(bytes(0, 0, 8, 1, 0, 0, 0, 0), 'l', { rank: 3 }), /rank 1 .* rank 3 was expected/);
  assert.throws(() => parseIdx(bytes(0, 0, 0x0d, 1, 0, 0, 0, 0), 'l', { type: 'uint8' }), /holds float32 .* uint8 was expected/);
  assert.throws(() => encodeIdx({ type: 'uint8', shape: [1], data: new Uint8Array([1, 2]) }), /1 elements but data has 2/);
  assert.throws(() => encodeIdx({ type: 'int8', shape: [1], data: new Int32Array([200]) }), /does not fit int8/);
});

test('IDX files: plain and gzip read the same; corrupt gzip names the file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nabla-idx-'));
  try {
    const idx = bytes(0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 2, 10, 20, 30, 40);
    writeFileSync(join(dir, 'a.idx'), idx);
    writeFileSync(join(dir, 'a.idx.gz'), gzipSync(idx));
    for (const f of ['a.idx', 'a.idx.gz']) {
      const got = readIdxFile(join(dir, f));
      assert.deepEqual(got.shape, [2, 2], f);
      assert.deepEqual([...got.data], [10, 20, 30, 40], f);
    }
    writeIdxFile(join(dir, 'b.idx.gz'), { type: 'int32', shape: [2], data: new Int32Array([-5, 7]) });
    assert.deepEqual([...readIdxFile(join(dir, 'b.idx.gz')).data], [-5, 7]);
    const gz = gzipSync(idx);
    writeFileSync(join(dir, 'cut.gz'), gz.subarray(0, gz.length - 6));
    assert.throws(() => readIdxFile(join(dir, 'cut.gz')), /cut\.gz: gzip data is corrupt or truncated/);
    assert.throws(() => readIdxFile(join(dir, 'missing.idx')), /missing\.idx: cannot read the file/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// ---------------------------------------------------------------- CSV

test('CSV: RFC 4180 quoting, CRLF, BOM, blank lines', () => {
  const text = '\ufeffa,b\r\n"x, y","he said ""hi"""\r\n\r\n"multi\nline",2\n3,\n';
  assert.deepEqual(parseCsvRows(text), [
    { line: 1, fields: ['a', 'b'] },
    { line: 2, fields: ['x, y', 'he said "hi"'] },
    { line: 4, fields: ['multi\nline', '2'] },
    { line: 6, fields: ['3', ''] },
  ]);
  assert.deepEqual(parseCsvRows('1;2\n3;4', ';'), [{ line: 1, fields: ['1', '2'] }, { line: 2, fields: ['3', '4'] }]);
  assert.deepEqual(parseCsvRows('""\n'), [{ line: 1, fields: [''] }], 'a quoted empty field is a row');
});

test('CSV: column types are inferred or given; missing values are reported by line and column', () => {
  const text = [
    'id,height,name,ok,score',
    '1,1.5,ann,true,3',
    '2,,bob,false,NA',
    '3,-2e3,"",TRUE,4',
    '4,inf,dee,?,5',
  ].join('\n');
  const t = parseCsv(text, { name: 'people.csv' });
  assert.equal(t.rows, 4);
  assert.deepEqual(t.columns.map((c) => [c.name, c.type]), [['id', 'int'], ['height', 'float'], ['name', 'string'], ['ok', 'bool'], ['score', 'int']]);
  assert.deepEqual([...t.column('id').values], [1, 2, 3, 4]);
  assert.deepEqual([...t.column('height').values], [1.5, NaN, -2000, Infinity]);
  assert.deepEqual(t.column('name').values, ['ann', 'bob', '', 'dee']);
  assert.deepEqual([...t.column('ok').values], [1, 0, 1, 0]);
  assert.deepEqual(t.missing, [
    { line: 3, row: 1, column: 'height' },
    { line: 3, row: 1, column: 'score' },
    { line: 4, row: 2, column: 'name' },
    { line: 5, row: 3, column: 'ok' },
  ]);
  assert.throws(() => t.column('age'), /people\.csv: no column "age" \(columns: id, height, name, ok, score\)/);
  // Given types win over inference; a bad cell names its line and column.
  assert.equal(parseCsv('x\n1\n2', { types: { x: 'float' } }).columns[0].type, 'float');
  assert.throws(() => parseCsv('x\n1\n2.5', { name: 'f.csv', types: { x: 'int' } }), /f\.csv: line 3, column "x": "2\.5" is not an integer/);
  assert.throws(() => parseCsv(text, { name: 'p.csv', onMissing: 'error' }), /p\.csv: line 3, column "height": missing value/);
  // No header: columns are c0, c1…
  assert.deepEqual(parseCsv('1,2\n3,4', { header: false }).columns.map((c) => [c.name, [...c.values]]), [['c0', [1, 3]], ['c1', [2, 4]]]);
});

test('CSV: matrix of numeric columns refuses missing values unless asked', () => {
  const t = parseCsv('a,b,c\n1,2,x\n3,,y\n', { name: 'm.csv' });
  assert.throws(() => csvToMatrix(t, ['a', 'b'], { name: 'm.csv' }), /m\.csv: line 3, column "b": missing value/);
  assert.deepEqual([...csvToMatrix(t, ['a', 'b'], { missing: 'nan' })], [1, 2, 3, NaN]);
  assert.deepEqual([...csvToMatrix(t, ['b', 'a'], { missing: 'nan' })], [2, 1, NaN, 3]);
  assert.throws(() => csvToMatrix(t, ['c']), /column "c" holds text/);
});

test('CSV: malformed files are refused naming the file and line', () => {
  const bad: [string, string, RegExp][] = [
    ['ragged row', 'a,b\n1,2\n3\n', /r\.csv: line 3 has 1 fields but the header has 2/],
    ['unclosed quote', 'a\n"oops\n', /r\.csv: line 2: quoted field is never closed/],
    ['text after quote', 'a\n"x"y\n', /r\.csv: line 2: unexpected "y" after a closing quote/],
    ['stray quote', 'a\nx"y\n', /r\.csv: line 2: a quote inside an unquoted field/],
    ['duplicate column', 'a,a\n1,2', /column name "a" appears twice/],
    ['empty file', '', /r\.csv: no rows/],
  ];
  for (const [what, text, re] of bad) assert.throws(() => parseCsv(text, { name: 'r.csv' }), re, what);
  assert.throws(() => parseCsv('a\n1', { name: 'r.csv', types: { b: 'int' } }), /names column "b", which is not in the header/);
});

test('CSV files: read by path, UTF-8 checked', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nabla-csv-'));
  try {
    writeFileSync(join(dir, 'ok.csv'), 'größe,n\n1.5,2\n');
    const t = readCsvFile(join(dir, 'ok.csv'));
    assert.deepEqual([...t.column('größe').values], [1.5]);
    writeFileSync(join(dir, 'bad.csv'), bytes(0x61, 0x0a, 0xff, 0xfe));
    assert.throws(() => readCsvFile(join(dir, 'bad.csv')), /bad\.csv: not valid UTF-8/);
    assert.throws(() => readCsvFile(join(dir, 'none.csv')), /CSV .*none\.csv: cannot read the file/);
    writeFileSync(join(dir, 'ragged.csv'), 'a,b\n1\n');
    assert.throws(() => readCsvFile(join(dir, 'ragged.csv')), /ragged\.csv: line 2 has 1 fields/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
