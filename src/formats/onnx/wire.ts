import { MlflowError } from '../../errors.js';

/** One field of a protobuf message as it lies on the wire: its number, wire type, and raw bytes. */
export interface WireField {
  readonly field: number;
  readonly wireType: number;
  /** The whole field (tag included), to copy it unchanged. */
  readonly raw: Uint8Array;
  /** For length-delimited fields, the payload; for varints, the value. */
  readonly payload: Uint8Array | null;
  readonly varint: bigint | null;
}

/** A varint at pos: its value and the position after it. */
export function readVarint(b: Uint8Array, pos: number, what: string): [bigint, number] {
  let v = 0n;
  let shift = 0n;
  for (;;) {
    if (pos >= b.length || shift > 63n) throw new MlflowError(`${what}: bad protobuf varint`, 'INVALID_PARAMETER_VALUE');
    const byte = b[pos++];
    v |= BigInt(byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) return [v, pos];
    shift += 7n;
  }
}

/** The fields of one message, in order (no schema needed: enough to edit a few and copy the rest). */
export function readFields(b: Uint8Array, what: string): WireField[] {
  const out: WireField[] = [];
  let pos = 0;
  while (pos < b.length) {
    const start = pos;
    const [tag, p1] = readVarint(b, pos, what);
    pos = p1;
    const field = Number(tag >> 3n);
    const wireType = Number(tag & 7n);
    let payload: Uint8Array | null = null;
    let value: bigint | null = null;
    switch (wireType) {
      case 0: [value, pos] = readVarint(b, pos, what); break;
      case 1: pos += 8; break;
      case 5: pos += 4; break;
      case 2: {
        const [len, p2] = readVarint(b, pos, what);
        const end = p2 + Number(len);
        if (end > b.length) throw new MlflowError(`${what}: a protobuf field runs past the end`, 'INVALID_PARAMETER_VALUE');
        payload = b.subarray(p2, end);
        pos = end;
        break;
      }
      default: throw new MlflowError(`${what}: unsupported protobuf wire type ${wireType}`, 'INVALID_PARAMETER_VALUE');
    }
    if (pos > b.length) throw new MlflowError(`${what}: a protobuf field runs past the end`, 'INVALID_PARAMETER_VALUE');
    out.push({ field, wireType, raw: b.subarray(start, pos), payload, varint: value });
  }
  return out;
}

function encodeVarint(v: number): number[] {
  const out: number[] = [];
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

/** A length-delimited field (a string, bytes or a sub-message). */
export function lengthField(field: number, payload: Uint8Array): Uint8Array {
  const head = [...encodeVarint(field * 8 + 2), ...encodeVarint(payload.length)];
  const out = new Uint8Array(head.length + payload.length);
  out.set(head);
  out.set(payload, head.length);
  return out;
}

export function varintField(field: number, v: number): Uint8Array {
  return Uint8Array.from([...encodeVarint(field * 8), ...encodeVarint(v)]);
}

const TEXT = new TextDecoder();
export function text(b: Uint8Array | null): string {
  return b ? TEXT.decode(b) : '';
}
