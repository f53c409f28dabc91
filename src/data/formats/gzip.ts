// gzip decompression with the web platform's DecompressionStream (browsers, Deno, Bun, Node ≥ 18),
// for loading .gz data files in a page; Node code uses zlib directly (idx-node.ts). Both stop at a
// size limit, so a small file that inflates to gigabytes (a gzip bomb) is an error, not an OOM.

/** 1 GiB: far above any data file we read (Fashion-MNIST's train images are 47 MB). */
export const MAX_GUNZIP_BYTES = 2 ** 30;

/** True when the bytes start with the gzip magic 1f 8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** The error for data that decompresses past `limit` bytes. */
export function tooLarge(name: string, compressed: number, limit: number): Error {
  return new RangeError(
    `${name}: the gzip data (${compressed.toLocaleString('en-US')} bytes) decompresses to more than ` +
      `${limit.toLocaleString('en-US')} bytes, the limit for a data file — refusing it (a damaged file or a gzip bomb?)`,
  );
}

/** Decompresses gzip bytes; other bytes come back unchanged. `name` goes into errors. */
export async function gunzipWeb(bytes: Uint8Array, name = 'data', limit = MAX_GUNZIP_BYTES): Promise<Uint8Array> {
  if (!isGzip(bytes)) return bytes;
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    const reader = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream('gzip')).getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > limit) {
        await reader.cancel();
        throw tooLarge(name, bytes.length, limit);
      }
      chunks.push(value);
    }
  } catch (e) {
    if (e instanceof RangeError && e.message.startsWith(`${name}: the gzip data`)) throw e;
    throw new Error(`${name}: gzip data is corrupt or truncated (${(e as Error).message})`, { cause: e });
  }
  const out = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}
