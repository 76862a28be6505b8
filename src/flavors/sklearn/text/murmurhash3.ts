/**
 * MurmurHash3 x86 32-bit of a string's UTF-8 bytes, as a signed 32-bit integer: scikit-learn's
 * murmurhash3_32(key, seed, positive=False), which its FeatureHasher and HashingVectorizer use.
 */
export function murmurhash3Signed(key: string, seed = 0): number {
  const bytes = Buffer.from(key, 'utf8');
  const n = bytes.length;
  const c1 = 0xcc9e2d51;
  const c2 = 0x1b873593;
  let h = seed | 0;
  const blocks = n - (n % 4);
  for (let i = 0; i < blocks; i += 4) {
    let k = bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24);
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  let k = 0;
  const rest = n % 4;
  if (rest === 3) k ^= bytes[blocks + 2] << 16;
  if (rest >= 2) k ^= bytes[blocks + 1] << 8;
  if (rest >= 1) {
    k ^= bytes[blocks];
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
  }
  h ^= n;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}
