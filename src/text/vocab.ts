// A character vocabulary: special tokens first (padding, begin, end, unknown), then characters in
// code-point order; encodes strings to int ids and back, and saves itself as JSON for checkpoints.

export type Special = 'pad' | 'bos' | 'eos' | 'unk';
const SPECIAL_TEXT: Record<Special, string> = { pad: '<pad>', bos: '<s>', eos: '</s>', unk: '<unk>' };
const ORDER: Special[] = ['pad', 'bos', 'eos', 'unk'];

export interface VocabJSON { chars: string[]; specials: Special[] }

export class CharVocab {
  readonly chars: readonly string[];
  readonly specials: readonly Special[];
  private readonly ids = new Map<string, number>();
  private readonly specialIds: Partial<Record<Special, number>> = {};

  constructor(chars: Iterable<string>, specials: readonly Special[] = []) {
    for (const s of specials) if (!ORDER.includes(s)) throw new Error(`CharVocab: unknown special token '${String(s)}' (known: ${ORDER.join(', ')})`);
    this.specials = ORDER.filter((s) => specials.includes(s));
    this.specials.forEach((s, i) => { this.specialIds[s] = i; });
    const list = [...new Set(chars)];
    for (const c of list) if (Array.from(c).length !== 1) throw new Error(`CharVocab: '${c}' is not a single character`);
    list.sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);
    this.chars = list;
    list.forEach((c, i) => this.ids.set(c, this.specials.length + i));
  }

  /** The vocabulary of every character in the texts. */
  static fromTexts(texts: Iterable<string>, specials: readonly Special[] = []): CharVocab {
    const set = new Set<string>();
    for (const t of texts) for (const c of t) set.add(c);
    return new CharVocab(set, specials);
  }

  static fromJSON(j: VocabJSON): CharVocab {
    if (!j || !Array.isArray(j.chars) || !Array.isArray(j.specials)) throw new Error('CharVocab.fromJSON: expected {chars: string[], specials: string[]}');
    return new CharVocab(j.chars, j.specials);
  }

  toJSON(): VocabJSON {
    return { chars: [...this.chars], specials: [...this.specials] };
  }

  get size(): number {
    return this.specials.length + this.chars.length;
  }

  /** The id of a special token; throws if this vocabulary has none. */
  special(s: Special): number {
    const id = this.specialIds[s];
    if (id === undefined) throw new Error(`CharVocab: this vocabulary has no '${s}' token (it has: ${this.specials.join(', ') || 'none'})`);
    return id;
  }

  has(c: string): boolean {
    return this.ids.has(c);
  }

  /**
   * The ids of a string's characters, with BOS/EOS around when asked. A character outside the
   * vocabulary becomes <unk> if there is one, else an error names it and its position.
   */
  encode(text: string, opts: { bos?: boolean; eos?: boolean } = {}): Int32Array {
    const cs = Array.from(text);
    const out = new Int32Array(cs.length + (opts.bos ? 1 : 0) + (opts.eos ? 1 : 0));
    let k = 0;
    if (opts.bos) out[k++] = this.special('bos');
    const unk = this.specialIds.unk;
    for (let i = 0; i < cs.length; i++) {
      const id = this.ids.get(cs[i]!);
      if (id === undefined) {
        if (unk === undefined) throw new Error(`CharVocab.encode: character ${JSON.stringify(cs[i])} (U+${cs[i]!.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}) at position ${i} is not in the vocabulary`);
        out[k++] = unk;
      } else {
        out[k++] = id;
      }
    }
    if (opts.eos) out[k++] = this.special('eos');
    return out;
  }

  /** The string of ids: stops at EOS, leaves out padding and BOS, shows <unk> as '�'. */
  decode(ids: ArrayLike<number>): string {
    let s = '';
    const n = this.specials.length;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (!Number.isInteger(id) || id < 0 || id >= this.size) throw new RangeError(`CharVocab.decode: id ${id} at position ${i} is outside 0..${this.size - 1}`);
      if (id < n) {
        const sp = this.specials[id]!;
        if (sp === 'eos') break;
        if (sp === 'unk') s += '\uFFFD';
        continue;
      }
      s += this.chars[id - n]!;
    }
    return s;
  }

  /** The printable form of one id (special tokens as <pad>, <s>, </s>, <unk>). */
  token(id: number): string {
    return id < this.specials.length ? SPECIAL_TEXT[this.specials[id]!] : (this.chars[id - this.specials.length] ?? '?');
  }
}
