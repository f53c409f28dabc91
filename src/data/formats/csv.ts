// CSV parsing (RFC 4180 quoting) into typed columns, browser-safe: a header row, per-column types
// (given or inferred), and missing values reported by row and column instead of silently guessed.

export type CsvColumnType = 'float' | 'int' | 'bool' | 'string';

export interface CsvOptions {
  /** File name for errors. */
  name?: string;
  delimiter?: string;
  /** First row holds column names (default true); otherwise columns are named c0, c1, … */
  header?: boolean;
  /** Column types by name; the rest are inferred (int ⊂ float; true/false → bool; else string). */
  types?: Record<string, CsvColumnType>;
  /** Field texts that mean "missing" (default: '', 'NA', 'N/A', 'NaN', 'nan', 'null', 'NULL', '?'). */
  missingValues?: readonly string[];
  /** 'report' (default) keeps going and lists every missing cell; 'error' throws at the first. */
  onMissing?: 'report' | 'error';
}

export interface MissingCell {
  /** 1-based line number in the file (the header is line 1 when present). */
  line: number;
  /** 0-based data row. */
  row: number;
  column: string;
}

export interface CsvColumn {
  name: string;
  type: CsvColumnType;
  /** float/int → Float64Array (NaN where missing); bool → Uint8Array (0 where missing); string → string[] ('' where missing). */
  values: Float64Array | Uint8Array | string[];
}

export interface CsvTable {
  columns: CsvColumn[];
  rows: number;
  missing: MissingCell[];
  /** The column of that name, or an error listing the names there are. */
  column(name: string): CsvColumn;
}

const DEFAULT_MISSING = ['', 'NA', 'N/A', 'NaN', 'nan', 'null', 'NULL', '?'];
const INT_RE = /^[+-]?\d+$/;
const FLOAT_RE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$|^[+-]?(Infinity|inf)$/;
const BOOL_RE = /^(true|false|TRUE|FALSE|True|False)$/;

/** Splits CSV text into rows of fields; each row keeps the line number it started on. */
export function parseCsvRows(text: string, delimiter = ',', name = 'CSV'): { line: number; fields: string[] }[] {
  if (delimiter.length !== 1 || delimiter === '"' || delimiter === '\n' || delimiter === '\r') {
    throw new Error(`${name}: delimiter must be one character other than a quote or newline, got ${JSON.stringify(delimiter)}`);
  }
  const rows: { line: number; fields: string[] }[] = [];
  let fields: string[] = [];
  let field = '';
  let line = 1;
  let rowLine = 1;
  let i = 0;
  const n = text.length;
  if (text.charCodeAt(0) === 0xfeff) i = 1; // byte-order mark
  let quotedField = false;
  const endRow = () => {
    fields.push(field);
    // A blank line (one empty unquoted field) is not a row.
    if (!(fields.length === 1 && fields[0] === '' && !quotedField)) rows.push({ line: rowLine, fields });
    fields = [];
    field = '';
    quotedField = false;
  };
  while (i < n) {
    const c = text[i];
    if (c === '"' && field === '' && !quotedField) {
      // Quoted field: "" is a literal quote; newlines inside are part of the field.
      quotedField = true;
      const startLine = line;
      i++;
      for (;;) {
        if (i >= n) throw new Error(`${name}: line ${startLine}: quoted field is never closed`);
        const q = text[i];
        if (q === '"') {
          if (text[i + 1] === '"') { field += '"'; i += 2; continue; }
          i++;
          break;
        }
        if (q === '\n') line++;
        field += q;
        i++;
      }
      if (i < n && text[i] !== delimiter && text[i] !== '\n' && text[i] !== '\r') {
        throw new Error(`${name}: line ${line}: unexpected ${JSON.stringify(text[i])} after a closing quote`);
      }
      continue;
    }
    if (c === delimiter) { fields.push(field); field = ''; quotedField = false; i++; continue; }
    if (c === '\r' || c === '\n') {
      endRow();
      if (c === '\r' && text[i + 1] === '\n') i++;
      i++;
      line++;
      rowLine = line;
      continue;
    }
    if (c === '"' && !quotedField) throw new Error(`${name}: line ${line}: a quote inside an unquoted field (quote the whole field and double the quote)`);
    field += c;
    i++;
  }
  if (field !== '' || fields.length > 0 || quotedField) endRow();
  return rows;
}

/** Parses CSV text into typed columns. Rows with the wrong number of fields are errors naming the line. */
export function parseCsv(text: string, opts: CsvOptions = {}): CsvTable {
  const name = opts.name ?? 'CSV';
  const rows = parseCsvRows(text, opts.delimiter ?? ',', name);
  const header = opts.header ?? true;
  if (rows.length === 0) throw new Error(`${name}: no rows`);
  const names = header ? rows[0].fields.map((f) => f.trim()) : rows[0].fields.map((_, j) => `c${j}`);
  const seen = new Set<string>();
  for (const c of names) {
    if (seen.has(c)) throw new Error(`${name}: column name ${JSON.stringify(c)} appears twice in the header`);
    seen.add(c);
  }
  for (const t of Object.keys(opts.types ?? {})) {
    if (!seen.has(t)) throw new Error(`${name}: types names column ${JSON.stringify(t)}, which is not in the header (${names.join(', ')})`);
  }
  const data = header ? rows.slice(1) : rows;
  for (const r of data) {
    if (r.fields.length !== names.length) {
      throw new Error(`${name}: line ${r.line} has ${r.fields.length} fields but the header has ${names.length}`);
    }
  }
  const missingSet = new Set(opts.missingValues ?? DEFAULT_MISSING);
  const missing: MissingCell[] = [];
  const isMissing = (s: string) => missingSet.has(s.trim());
  const columns: CsvColumn[] = names.map((col, j) => {
    const cells = data.map((r) => r.fields[j]);
    const type = opts.types?.[col] ?? inferType(cells, isMissing);
    return { name: col, type, values: convert(cells, type, col) };
  });

  function convert(cells: string[], type: CsvColumnType, col: string): CsvColumn['values'] {
    const note = (row: number) => {
      const cell = { line: data[row].line, row, column: col };
      if (opts.onMissing === 'error') throw new Error(`${name}: line ${cell.line}, column ${JSON.stringify(col)}: missing value`);
      missing.push(cell);
    };
    if (type === 'string') {
      return cells.map((s, row) => { if (isMissing(s)) { note(row); return ''; } return s; });
    }
    if (type === 'bool') {
      const out = new Uint8Array(cells.length);
      cells.forEach((s, row) => {
        if (isMissing(s)) return note(row);
        const t = s.trim().toLowerCase();
        if (t === 'true' || t === '1') out[row] = 1;
        else if (t !== 'false' && t !== '0') throw new Error(`${name}: line ${data[row].line}, column ${JSON.stringify(col)}: ${JSON.stringify(s)} is not a bool`);
      });
      return out;
    }
    const out = new Float64Array(cells.length);
    cells.forEach((s, row) => {
      if (isMissing(s)) { out[row] = NaN; return note(row); }
      const t = s.trim();
      const ok = type === 'int' ? INT_RE.test(t) : FLOAT_RE.test(t);
      if (!ok) throw new Error(`${name}: line ${data[row].line}, column ${JSON.stringify(col)}: ${JSON.stringify(s)} is not ${type === 'int' ? 'an integer' : 'a number'}`);
      out[row] = /inf/i.test(t) ? (t.startsWith('-') ? -Infinity : Infinity) : Number(t);
    });
    return out;
  }

  missing.sort((a, b) => a.row - b.row || names.indexOf(a.column) - names.indexOf(b.column));
  return {
    columns, rows: data.length, missing,
    column(c: string) {
      const found = columns.find((x) => x.name === c);
      if (!found) throw new Error(`${name}: no column ${JSON.stringify(c)} (columns: ${names.join(', ')})`);
      return found;
    },
  };
}

function inferType(cells: string[], isMissing: (s: string) => boolean): CsvColumnType {
  let all = 0, ints = 0, floats = 0, bools = 0;
  for (const s of cells) {
    if (isMissing(s)) continue;
    all++;
    const t = s.trim();
    if (INT_RE.test(t)) ints++;
    if (FLOAT_RE.test(t)) floats++;
    if (BOOL_RE.test(t)) bools++;
  }
  if (all === 0) return 'float';
  if (ints === all) return 'int';
  if (floats === all) return 'float';
  if (bools === all) return 'bool';
  return 'string';
}

/**
 * Numeric columns as one row-major float32 matrix [rows, columns.length] (e.g. features for a
 * model). Refuses missing values unless `missing: 'nan'`, naming the first missing cell.
 */
export function csvToMatrix(table: CsvTable, columns: readonly string[], opts: { missing?: 'error' | 'nan'; name?: string } = {}): Float32Array {
  const name = opts.name ?? 'CSV';
  const cols = columns.map((c) => table.column(c));
  for (const c of cols) {
    if (c.type === 'string') throw new Error(`${name}: column ${JSON.stringify(c.name)} holds text, not numbers`);
  }
  if (opts.missing !== 'nan') {
    const first = table.missing.find((m) => columns.includes(m.column));
    if (first) throw new Error(`${name}: line ${first.line}, column ${JSON.stringify(first.column)}: missing value (${table.missing.length} missing in all; pass missing: 'nan' to keep them as NaN)`);
  }
  const out = new Float32Array(table.rows * cols.length);
  cols.forEach((c, j) => {
    const v = c.values as Float64Array | Uint8Array;
    for (let r = 0; r < table.rows; r++) out[r * cols.length + j] = v[r];
  });
  return out;
}
