/**
 * The text of a JSON body as Python's json.loads(bytes) reads it (json.detect_encoding): a UTF-32,
 * UTF-16 or UTF-8 byte order mark names the encoding (and is dropped); without one, the pattern
 * of zero bytes at the start tells UTF-16/32 and their byte order; else UTF-8. Undefined when the
 * bytes are not valid in that encoding.
 */
export function decodeJsonBytes(b: Uint8Array): string | undefined {
  const encoding = detectEncoding(b);
  const bom = encoding.bom ? bomLength(encoding.name) : 0;
  const body = b.subarray(bom);
  if (encoding.name === 'utf-32le' || encoding.name === 'utf-32be') return decodeUtf32(body, encoding.name === 'utf-32le');
  try {
    return new TextDecoder(encoding.name, { fatal: true, ignoreBOM: true }).decode(body);
  } catch {
    return undefined;
  }
}

type Encoding = 'utf-8' | 'utf-16le' | 'utf-16be' | 'utf-32le' | 'utf-32be';

function bomLength(name: Encoding): number {
  return name === 'utf-8' ? 3 : name.startsWith('utf-16') ? 2 : 4;
}

function startsWith(b: Uint8Array, prefix: number[]): boolean {
  return b.length >= prefix.length && prefix.every((x, i) => b[i] === x);
}

function detectEncoding(b: Uint8Array): { name: Encoding; bom: boolean } {
  // UTF-32 LE's mark begins with UTF-16 LE's, so it is tested first, as Python does.
  if (startsWith(b, [0x00, 0x00, 0xfe, 0xff])) return { name: 'utf-32be', bom: true };
  if (startsWith(b, [0xff, 0xfe, 0x00, 0x00])) return { name: 'utf-32le', bom: true };
  if (startsWith(b, [0xfe, 0xff])) return { name: 'utf-16be', bom: true };
  if (startsWith(b, [0xff, 0xfe])) return { name: 'utf-16le', bom: true };
  if (startsWith(b, [0xef, 0xbb, 0xbf])) return { name: 'utf-8', bom: true };
  if (b.length >= 4) {
    if (b[0] === 0) return { name: b[1] ? 'utf-16be' : 'utf-32be', bom: false };
    if (b[1] === 0) return { name: b[2] || b[3] ? 'utf-16le' : 'utf-32le', bom: false };
  } else if (b.length === 2) {
    if (b[0] === 0) return { name: 'utf-16be', bom: false };
    if (b[1] === 0) return { name: 'utf-16le', bom: false };
  }
  return { name: 'utf-8', bom: false };
}

/** TextDecoder has no UTF-32: code points of 4 bytes each, refusing surrogates and > U+10FFFF. */
function decodeUtf32(b: Uint8Array, littleEndian: boolean): string | undefined {
  if (b.length % 4 !== 0) return undefined;
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const parts: string[] = [];
  for (let i = 0; i < b.length; i += 4) {
    const cp = view.getUint32(i, littleEndian);
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return undefined;
    parts.push(String.fromCodePoint(cp));
  }
  return parts.join('');
}
