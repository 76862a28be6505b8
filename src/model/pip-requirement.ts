import { MlflowError } from '../errors.js';

/** A pip requirement (PEP 508), as Python's packaging.requirements.Requirement reads it. */
export interface PipRequirement {
  name: string;
  extras: string[];
  /** version specifiers, e.g. ['>=2.8', '!=2.9.0'] */
  specifiers: string[];
  url?: string;
  marker?: string;
}

const NAME = /^([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*/;
const SPECIFIER = /^(~=|===|==|!=|<=|>=|<|>)\s*([^\s,;)]+)$/;

function invalid(text: string, why: string): MlflowError {
  return new MlflowError(`Invalid requirement: '${text}': ${why}`, 'INVALID_PARAMETER_VALUE');
}

/** Parses one requirement line; anything packaging would refuse is refused, naming it. */
export function parsePipRequirement(text: string): PipRequirement {
  const source = text.trim();
  const m = NAME.exec(source);
  if (!m) throw invalid(text, 'expected a package name');
  const req: PipRequirement = { name: m[1], extras: [], specifiers: [] };
  let rest = source.slice(m[0].length);
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close < 0) throw invalid(text, "unclosed '[' of the extras");
    req.extras = rest.slice(1, close).split(',').map((e) => e.trim()).filter((e) => e !== '');
    if (req.extras.some((e) => !/^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$/.test(e))) throw invalid(text, 'bad extra name');
    rest = rest.slice(close + 1).trimStart();
  }
  const semi = rest.indexOf(';');
  if (semi >= 0) {
    req.marker = rest.slice(semi + 1).trim();
    if (req.marker === '') throw invalid(text, "expected a marker after ';'");
    rest = rest.slice(0, semi).trim();
  }
  if (rest.startsWith('@')) {
    req.url = rest.slice(1).trim();
    if (!/^\S+:\/\/?\S+$/.test(req.url)) throw invalid(text, 'expected a URL after @');
    return req;
  }
  const inner = rest.startsWith('(') && rest.endsWith(')') ? rest.slice(1, -1) : rest;
  if (inner.trim() !== '') {
    for (const part of inner.split(',')) {
      const s = SPECIFIER.exec(part.trim());
      if (!s) throw invalid(text, `'${part.trim()}' is not a version specifier`);
      req.specifiers.push(`${s[1]}${s[2]}`);
    }
  }
  return req;
}

/** The requirement as str(packaging Requirement) writes it: extras and specifiers sorted, no spaces. */
export function formatPipRequirement(r: PipRequirement): string {
  let out = r.name;
  if (r.extras.length > 0) out += `[${[...r.extras].sort().join(',')}]`;
  if (r.url !== undefined) out += ` @ ${r.url}${r.marker !== undefined ? ' ' : ''}`;
  else out += [...r.specifiers].sort().join(',');
  if (r.marker !== undefined) out += `; ${formatMarker(r.marker)}`;
  return out;
}

/** packaging's marker spelling: `name op "value"`, one space around operators and and/or. */
function formatMarker(marker: string): string {
  return marker
    .replace(/([A-Za-z_.]+)\s*(===|==|!=|<=|>=|~=|<|>|not\s+in|in)\s*(['"])(.*?)\3/g, (_m, name: string, op: string, _q, value: string) => `${name} ${op.replace(/\s+/, ' ')} "${value}"`)
    .replace(/\s+(and|or)\s+/g, ' $1 ')
    .trim();
}
