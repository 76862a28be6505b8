/** The bytes of `chunks` one after another, in an ArrayBuffer of exactly their total size (tfjs's weightData). */
export function concatBytes(chunks: readonly ArrayBufferView[]): ArrayBuffer {
  const out = new Uint8Array(chunks.reduce((a, c) => a + c.byteLength, 0));
  let o = 0;
  for (const c of chunks) {
    out.set(new Uint8Array(c.buffer, c.byteOffset, c.byteLength), o);
    o += c.byteLength;
  }
  return out.buffer;
}
