import { MlflowError } from '../errors.js';

/**
 * `utc_time_created` as MLflow writes it (Python's str(datetime.utcnow())):
 * `YYYY-MM-DD HH:MM:SS.ffffff`. JavaScript dates hold milliseconds; `micros` (0-999) adds the rest.
 */
export function formatUtcTime(date: Date, micros = 0): string {
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return (
    `${p(date.getUTCFullYear(), 4)}-${p(date.getUTCMonth() + 1)}-${p(date.getUTCDate())} ` +
    `${p(date.getUTCHours())}:${p(date.getUTCMinutes())}:${p(date.getUTCSeconds())}.` +
    `${p(date.getUTCMilliseconds(), 3)}${p(micros, 3)}`
  );
}

/** The current time with microseconds, as MLflow stamps a new model. */
export function nowUtcTime(): string {
  const micros = Math.floor((performance.timeOrigin + performance.now()) * 1000) % 1000;
  return formatUtcTime(new Date(), micros);
}

/**
 * When a model was created, from `utc_time_created` (any MLflow version) or 2018's
 * `time_created` (epoch seconds as a float, or a date string). Undefined when neither is set.
 */
export function parseCreatedTime(utcTimeCreated: unknown, timeCreated?: unknown, source = 'MLmodel'): Date | undefined {
  const raw = utcTimeCreated ?? timeCreated;
  if (raw === undefined || raw === null) return undefined;
  const field = utcTimeCreated !== undefined && utcTimeCreated !== null ? 'utc_time_created' : 'time_created';
  let d: Date;
  if (raw instanceof Date) d = raw;
  else if (typeof raw === 'number') d = new Date(raw * 1000);
  else if (typeof raw === 'string') {
    const iso = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(raw.trim())
      ? `${raw.trim().replace(' ', 'T').replace(/(\.\d{3})\d*$/, '$1')}Z`
      : raw;
    d = /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(raw.trim()) ? new Date(Number(raw) * 1000) : new Date(iso);
  } else {
    throw new MlflowError(`${source}: field '${field}' must be a date string or epoch seconds`, 'INVALID_PARAMETER_VALUE');
  }
  if (Number.isNaN(d.getTime())) {
    throw new MlflowError(`${source}: field '${field}' ('${String(raw)}') is not a valid time`, 'INVALID_PARAMETER_VALUE');
  }
  return d;
}

/** Python's datetime.isoformat() of a naive UTC time: no zone, microseconds only when non-zero. */
export function isoformat(d: Date): string {
  const s = d.toISOString().replace('Z', '');
  return s.endsWith('.000') ? s.slice(0, -4) : `${s}000`;
}
