/**
 * MurmurHash3 x86_32 as Spark's Murmur3_x86_32 computes it over UTF-8 bytes, the hash of HashingTF and FeatureHasher.
 */
const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

function mixK1(k: number): number {
  k = Math.imul(k, C1);
  k = (k << 15) | (k >>> 17);
  return Math.imul(k, C2);
}

function mixH1(h: number, k: number): number {
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

function fmix(h: number, length: number): number {
  h ^= length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

function wordsOf(bytes: Uint8Array, seed: number): { h: number; aligned: number } {
  const aligned = bytes.length - (bytes.length % 4);
  let h = seed | 0;
  for (let i = 0; i < aligned; i += 4) {
    const k = bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24);
    h = mixH1(h, mixK1(k));
  }
  return { h, aligned };
}

/**
 * Spark 3's hashUnsafeBytes2, the standard MurmurHash3: the trailing bytes form one
 * little-endian word, mixed into the hash without the final rotation.
 */
export function murmur3Bytes(bytes: Uint8Array, seed: number): number {
  const words = wordsOf(bytes, seed);
  const aligned = words.aligned;
  let h = words.h;
  let k = 0;
  for (let i = bytes.length - 1; i >= aligned; i--) k = (k << 8) | bytes[i];
  if (bytes.length > aligned) h ^= mixK1(k);
  return fmix(h, bytes.length);
}

/** Spark 2's hashUnsafeBytes: each trailing (signed) byte is mixed in as a word of its own. */
export function murmur3BytesSpark2(bytes: Uint8Array, seed: number): number {
  const words = wordsOf(bytes, seed);
  let h = words.h;
  for (let i = words.aligned; i < bytes.length; i++) h = mixH1(h, mixK1((bytes[i] << 24) >> 24));
  return fmix(h, bytes.length);
}

/** Spark's Utils.nonNegativeMod. */
export function nonNegativeMod(x: number, mod: number): number {
  const r = x % mod;
  return r < 0 ? r + mod : r;
}
