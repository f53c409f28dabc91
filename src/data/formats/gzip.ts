// gzip decompression with the web platform's DecompressionStream (browsers, Deno, Bun, Node ≥ 18),
// for loading .gz data files in a page; Node code uses zlib directly (idx-node.ts).

/** True when the bytes start with the gzip magic 1f 8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Decompresses gzip bytes; other bytes come back unchanged. `name` goes into errors. */
export async function gunzipWeb(bytes: Uint8Array, name = 'data'): Promise<Uint8Array> {
  if (!isGzip(bytes)) return bytes;
  try {
    const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream('gzip'));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (e) {
    throw new Error(`${name}: gzip data is corrupt or truncated (${(e as Error).message})`, { cause: e });
  }
}
