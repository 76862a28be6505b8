import { loadKerasArchive } from './src/flavors/tensorflow/keras3/index.js';
import { kerasFlavorModel } from './src/flavors/tensorflow/keras-predictor.js';
import { loadPredictor } from './src/pyfunc/index.js';
import { makeTensor } from './src/frame/tensor.js';
const R = 'test/fixtures/tensorflow/real';
const t = (shape: number[], dtype = 'float32') => makeTensor({ dtype, shape, data: dtype === 'string' ? Array(shape.reduce((a, b) => a * b, 1)).fill('a') : new Float32Array(shape.reduce((a, b) => a * b, 1)) } as never);
const m = await kerasFlavorModel(await loadKerasArchive(`${R}/layers/multi_head_attention.keras`));
for (const input of [t([2, 4, 6]), { tokens: t([2, 4, 6]), memory: t([2, 5, 7]) }, { tokens: t([2, 4]), memory: t([2, 5, 6]) }, { tokens: t([2, 4, 6], 'string'), memory: t([2, 5, 6]) }, { tokens: t([2, 4, 6]), memory: t([3, 5, 6]) }, { tokens: t([0, 4, 6]), memory: t([0, 5, 6]) }, [[1, 2]], 'abc']) {
  try { const o = await m.predict(input); console.log('OK', Array.isArray(o) ? o.map((x: any) => x.shape) : o); } catch (e) { console.log((e as any).errorCode, (e as Error).message); }
}
const m2 = await kerasFlavorModel(await loadKerasArchive(`${R}/layers/conv_lstm2d.keras`));
for (const input of [t([2, 3, 5, 5]), t([2, 3, 5, 5, 2], 'bool'), t([2, 3, 5, 5, 2], 'int64')]) {
  try { const o = await m2.predict(input); console.log('OK', (o as any).shape); } catch (e) { console.log((e as any).errorCode, (e as Error).message); }
}
const p = await loadPredictor(`${R}/mlflow/keras3_conv1d_causal_exported`, { runtime: 'native' });
for (const input of [t([2, 3]), t([2, 12, 3]), t([2, 12, 3], 'string')]) {
  try { const o = await p.predict(input); console.log('OK', (o as any).shape ?? Object.keys(o as object)); } catch (e) { console.log((e as any).errorCode, (e as Error).message); }
}
