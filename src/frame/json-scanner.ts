/**
 * The shared moves of the readers that scan a JSON request's text directly for one common shape
 * (numeric-split-json.ts; serve's V2 numeric reader): whitespace, one expected character, and a
 * plain string. Each reader keeps its own number loop inline, with the position in a local: it
 * is the hot path of a large request.
 */
/** Powers of ten a double holds exactly: m / 10^k is then correctly rounded (Clinger's fast path). */
export const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);
/** At most this many digits, an integer mantissa is exact in a double (10^15 < 2^53). */
export const MAX_EXACT_DIGITS = 15;

export class JsonScanner {
  protected pos = 0;

  constructor(protected readonly t: string) {}

  protected ws(): void {
    const t = this.t;
    let p = this.pos;
    for (;;) {
      const c = t.charCodeAt(p);
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
      p++;
    }
    this.pos = p;
  }

  /** Skips whitespace, then `code` if it is next. */
  protected skip(code: number): boolean {
    this.ws();
    if (this.t.charCodeAt(this.pos) !== code) return false;
    this.pos++;
    return true;
  }

  /** A string without escapes or control characters; undefined otherwise. */
  protected name(): string | undefined {
    if (!this.skip(0x22)) return undefined;
    const t = this.t;
    const start = this.pos;
    for (let p = start; p < t.length; p++) {
      const c = t.charCodeAt(p);
      if (c === 0x22) {
        this.pos = p + 1;
        return t.slice(start, p);
      }
      if (c === 0x5c || c < 0x20) return undefined;
    }
    return undefined;
  }
}
