import { MlflowError } from '../../../errors.js';

/**
 * One domains/dNNN.txt file: a level per line. Newer MOJOs (escape_domain_values) quote each level
 * and double the quotes inside, so a level may hold line breaks; older ones write levels bare.
 * This follows ModelMojoReader's reading: a level that starts with a quote is quoted.
 */
export function parseDomainFile(text: string, expected: number, where: string): string[] {
  const levels: string[] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i];
    if (c === '\r' || c === '\n') {
      // an empty unquoted level (H2O writes one for an empty string)
      levels.push('');
      i += 1;
      continue;
    }
    if (c === '"') {
      let s = '';
      i += 1;
      for (;;) {
        if (i >= n) break;
        const d = text[i];
        if (d === '"') {
          if (text[i + 1] === '"') {
            s += '"';
            i += 2;
            continue;
          }
          i += 1;
          break;
        }
        s += d;
        i += 1;
      }
      // skip to the end of the line
      while (i < n && text[i] !== '\n' && text[i] !== '\r') i += 1;
      if (text[i] === '\r' && text[i + 1] === '\n') i += 1;
      i += 1;
      levels.push(s);
      continue;
    }
    let j = i;
    while (j < n && text[j] !== '\n' && text[j] !== '\r') j += 1;
    levels.push(text.slice(i, j));
    if (text[j] === '\r' && text[j + 1] === '\n') j += 1;
    i = j + 1;
  }
  if (levels.length !== expected) {
    throw new MlflowError(`${where}: domain file has ${levels.length} levels, model.ini says ${expected}`, 'INVALID_PARAMETER_VALUE');
  }
  return levels;
}
