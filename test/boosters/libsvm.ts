/** Test helper: dense rows from a libsvm file (`label idx:value ...`, zero-based); absent entries are `absent`. */
export function readLibsvm(text: string, cols: number, absent: number): { rows: Float64Array; n: number } {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const rows = new Float64Array(lines.length * cols).fill(absent);
  lines.forEach((line, r) => {
    for (const item of line.trim().split(/\s+/).slice(1)) {
      const [i, v] = item.split(':');
      rows[r * cols + Number(i)] = Number(v);
    }
  });
  return { rows, n: lines.length };
}

/** Numbers separated by whitespace. */
export function readNumbers(text: string): number[] {
  return text.split(/\s+/).filter((s) => s !== '').map(Number);
}
