import { allFinite } from './all-finite.js';
import { WASM_BASE64 } from './linear-scores-wasm.js';

/**
 * Dense linear scores X @ coef.T + intercept and their argmax, for every linear model (sklearn's
 * linear_model, LinearSVC, LDA...). Two kernels give the same bits: WebAssembly SIMD
 * (linear-scores.wat, two targets per f64x2 and four rows side by side) where the runtime has it,
 * JavaScript otherwise. Both sum each score as s = 0, s += x[j] * coef[t][j] in feature order,
 * then s + intercept[t], a multiply and an add each rounded (WebAssembly SIMD has no fused
 * multiply-add, and JavaScript none either).
 */

/**
 * coef_ and intercept_ laid out for the kernels: coef transposed to (features, targets2) so that
 * a row's feature j meets two targets' weights side by side, targets2 being the target count
 * rounded up to even (the extra column and intercept zero).
 */
export interface LinearWeights {
  readonly targets: number;
  readonly features: number;
  readonly targets2: number;
  /** w[j * targets2 + t] = coef[t][j]. */
  readonly w: Float64Array;
  /** intercept per target, zero-padded to targets2. */
  readonly bias: Float64Array;
}

/** `coef` as (targets, features) row-major and one intercept per target. */
export function linearWeights(coef: Float64Array, targets: number, features: number, intercept: Float64Array): LinearWeights {
  const targets2 = targets + (targets % 2);
  const w = new Float64Array(features * targets2);
  for (let t = 0; t < targets; t++) for (let j = 0; j < features; j++) w[j * targets2 + t] = coef[t * features + j];
  const bias = new Float64Array(targets2);
  bias.set(intercept.subarray(0, targets));
  return { targets, features, targets2, w, bias };
}

/**
 * With `finite`, a kernel refuses input holding NaN or infinity (sklearn's check_array) in the
 * same pass that scores it, returning null (argmax: false): the caller says why, as check_array does.
 */
type Checked = Float64Array | null;

/** The arrays argmax writes labels into (a typed array of numbers of any width). */
type Labels = Float64Array | Float32Array | Int32Array | Int16Array | Int8Array | Uint32Array | Uint16Array | Uint8Array;

/** A kernel: the scores (rows, targets), or the argmax of each row's scores looked up in `table` into `out`. */
interface Kernel {
  scores(m: LinearWeights, x: Float64Array, rows: number, finite: boolean): Checked;
  argmax(m: LinearWeights, x: Float64Array, rows: number, table: Float64Array, out: Labels, finite: boolean): boolean;
}

/**
 * X @ coef.T + intercept for `rows` rows of `x` (row-major, m.features wide): (rows, targets)
 * row-major; null if `finite` and x holds NaN or infinity.
 */
export function linearScores(m: LinearWeights, x: Float64Array, rows: number, finite: boolean): Checked {
  return kernelFor(m, rows).scores(m, x, rows, finite);
}

/**
 * out[i] = `table[argmax]` of row i's scores, without keeping the scores: numpy's argmax (the
 * first maximum, or the first NaN, which numpy ranks above every number); a single score picks
 * table[score > 0 ? 1 : 0] (sklearn's binary rule). `table` holds one value per target (two for
 * one target), each of which `out` must hold exactly. False if `finite` and x holds NaN or infinity.
 */
export function linearArgmax(m: LinearWeights, x: Float64Array, rows: number, table: Float64Array, out: Labels, finite: boolean): boolean {
  return kernelFor(m, rows).argmax(m, x, rows, table, out, finite);
}

/** Rows per block: about this many input values, so a block's rows and scores stay in cache. */
const BLOCK_VALUES = 16_384;

function blockRows(features: number): number {
  return Math.max(4, Math.floor(BLOCK_VALUES / Math.max(1, features)) & ~3);
}

/** Scores of rows start..start+count into out (stride targets2), as the WebAssembly kernel sums them. */
function scoreBlock(m: LinearWeights, x: Float64Array, start: number, count: number, out: Float64Array): void {
  const { features, targets2, w, bias } = m;
  for (let r = 0; r < count; r++) {
    const xo = (start + r) * features;
    const oo = r * targets2;
    for (let t = 0; t < targets2; t += 2) {
      let s0 = 0;
      let s1 = 0;
      for (let j = 0; j < features; j++) {
        const v = x[xo + j];
        s0 += v * w[j * targets2 + t];
        s1 += v * w[j * targets2 + t + 1];
      }
      out[oo + t] = s0 + bias[t];
      out[oo + t + 1] = s1 + bias[t + 1];
    }
  }
}

/** Copies a block's scores (stride targets2) into the (rows, targets) result. */
function keepScores(m: LinearWeights, block: Float64Array, start: number, count: number, out: Float64Array): void {
  const { targets, targets2 } = m;
  if (targets === targets2) out.set(block.subarray(0, count * targets), start * targets);
  else for (let r = 0; r < count; r++) out.set(block.subarray(r * targets2, r * targets2 + targets), (start + r) * targets);
}

/** The JavaScript kernel: where WebAssembly SIMD is missing, and what tests compare the other with. */
export const jsKernel: Kernel = {
  scores(m, x, rows, finite) {
    const per = blockRows(m.features);
    const block = new Float64Array(Math.min(per, rows) * m.targets2);
    const out = new Float64Array(rows * m.targets);
    for (let start = 0; start < rows; start += per) {
      const count = Math.min(per, rows - start);
      if (finite && !allFinite(x, start * m.features, (start + count) * m.features)) return null;
      scoreBlock(m, x, start, count, block);
      keepScores(m, block, start, count, out);
    }
    return out;
  },
  argmax(m, x, rows, table, out, finite) {
    const { targets, targets2 } = m;
    const per = blockRows(m.features);
    const block = new Float64Array(Math.min(per, rows) * targets2);
    for (let start = 0; start < rows; start += per) {
      const count = Math.min(per, rows - start);
      if (finite && !allFinite(x, start * m.features, (start + count) * m.features)) return false;
      scoreBlock(m, x, start, count, block);
      for (let r = 0; r < count; r++) {
        const o = r * targets2;
        let best = 0;
        if (targets === 1) best = block[o] > 0 ? 1 : 0;
        else {
          let bestScore = block[o];
          for (let t = 1; t < targets; t++) {
            const v = block[o + t];
            if (v > bestScore || (v !== v && bestScore === bestScore)) {
              bestScore = v;
              best = t;
            }
          }
        }
        out[start + r] = table[best];
      }
    }
    return true;
  },
};

/** The WebAssembly kernel's memory is not grown past this; larger models use the JavaScript one. */
const MAX_WASM_BYTES = 256 * 1024 * 1024;

/** The parts of the WebAssembly API used here (this project's TypeScript lib has no DOM types). */
interface WasmExports {
  memory: { buffer: ArrayBuffer; grow(pages: number): number };
  /** 1 if each row's first two scores are finite (then x is), else 0 (see linear-scores.wat). */
  scores(x: number, rows: number, features: number, w: number, targets2: number, b: number, out: number): number;
  argmax(out: number, rows: number, targets: number, targets2: number, table: number, pred: number): void;
  finite(x: number, n: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: WasmExports };
}

/** Byte offsets of the WebAssembly kernel's regions for a model (see linear-scores.wat), 16-byte aligned. */
function layout(m: LinearWeights): { b: number; x: number; out: number; table: number; pred: number; end: number; per: number } {
  const align = (n: number): number => (n + 15) & ~15;
  const per = blockRows(m.features);
  const b = align(m.w.length * 8);
  const x = align(b + m.targets2 * 8);
  const out = align(x + per * m.features * 8);
  const table = align(out + per * m.targets2 * 8);
  const pred = align(table + m.targets2 * 8);
  return { b, x, out, table, pred, end: pred + per * 8, per };
}

/** The WebAssembly kernel over one instance (one per thread: instances are not shared). */
function wasmKernelOf({ memory, scores, argmax, finite: allFiniteAt }: WasmExports): Kernel {
  type Use = (heap: Float64Array, at: ReturnType<typeof layout>, start: number, count: number) => void;
  /**
   * Lays out the model, then scores each block of rows and hands it to `use` (the heap and the
   * layout); false if `finite` and a block holds NaN or infinity.
   */
  const run = (m: LinearWeights, x: Float64Array, rows: number, table: Float64Array | null, finite: boolean, use: Use): boolean => {
    const at = layout(m);
    const have = memory.buffer.byteLength;
    if (at.end > have) memory.grow(Math.ceil((at.end - have) / 65536));
    const heap = new Float64Array(memory.buffer);
    heap.set(m.w, 0);
    heap.set(m.bias, at.b / 8);
    if (table) heap.set(table, at.table / 8);
    for (let start = 0; start < rows; start += at.per) {
      const count = Math.min(at.per, rows - start);
      heap.set(x.subarray(start * m.features, (start + count) * m.features), at.x / 8);
      // finite scores prove the block's x finite; x itself is looked at only when a score is not
      const finiteScores = scores(at.x, count, m.features, 0, m.targets2, at.b, at.out) === 1;
      if (finite && !finiteScores && allFiniteAt(at.x, count * m.features) === 0) return false;
      if (table) argmax(at.out, count, m.targets, m.targets2, at.table, at.pred);
      use(heap, at, start, count);
    }
    return true;
  };
  return {
    scores(m, x, rows, finite) {
      const out = new Float64Array(rows * m.targets);
      const ok = run(m, x, rows, null, finite, (heap, at, start, count) => keepScores(m, heap.subarray(at.out / 8), start, count, out));
      return ok ? out : null;
    },
    argmax(m, x, rows, table, out, finite) {
      return run(m, x, rows, table, finite, (heap, at, start, count) => out.set(heap.subarray(at.pred / 8, at.pred / 8 + count), start));
    },
  };
}

let wasm: Kernel | null | undefined;

/**
 * Below this many rows the JavaScript kernel scores faster (same bits): the WebAssembly one first
 * copies the model into its memory, ~1.5 µs for a 1-row iris request against ~0.1 µs of scoring.
 */
const WASM_FROM_ROWS = 4;

/** The WebAssembly kernel when this runtime has SIMD, the rows are enough and the model fits its memory, else the JavaScript one. */
function kernelFor(m: LinearWeights, rows: number): Kernel {
  if (rows < WASM_FROM_ROWS) return jsKernel;
  if (wasm === undefined) {
    try {
      const api = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
      wasm = wasmKernelOf(new api.Instance(new api.Module(Buffer.from(WASM_BASE64, 'base64'))).exports);
    } catch {
      wasm = null;
    }
  }
  return wasm !== null && layout(m).end <= MAX_WASM_BYTES ? wasm : jsKernel;
}

/** The WebAssembly kernel, or null where this runtime cannot run it (for tests comparing kernels). */
export function wasmKernel(): Kernel | null {
  kernelFor(linearWeights(new Float64Array(0), 1, 0, new Float64Array(1)), WASM_FROM_ROWS);
  return wasm ?? null;
}
