import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPipeline } from '../../../src/flavors/spark/index.js';
import { readDataRow } from '../../../src/flavors/spark/model-data.js';
import type { Frame } from '../../../src/frame/frame.js';
import { fixturePath, inputFrame, libsvmFrame, manifest, readCsv, unzipPipeline } from './fixtures.js';


async function indexerLabels(dir: string, column: string): Promise<string[] | null> {
  const found: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (!e.isDirectory()) continue;
      const sub = path.join(d, e.name);
      if (e.name === 'metadata') {
        const meta = JSON.parse(readFileSync(path.join(sub, 'part-00000'), 'utf8').split('\n')[0]) as { class: string; paramMap: Record<string, unknown> };
        if (meta.class.endsWith('StringIndexerModel') && meta.paramMap.inputCol === column) found.push(d);
      } else walk(sub);
    }
  };
  walk(dir);
  if (found.length === 0) return null;
  const row = await readDataRow(found[0]);
  return (row.labelsArray as string[][])[0];
}

function numbers(frame: Frame, name: string): number[] {
  const col = frame.column(name);
  if (!col) throw new Error(`output has no column '${name}' (has ${frame.columnNames.join(', ')})`);
  return Array.from(col.data.values as ArrayLike<number>);
}

function close(a: number, b: number): boolean {
  if (a === b) return true;
  return Math.abs(a - b) <= 1e-12 * Math.max(Math.abs(a), Math.abs(b));
}

const core = manifest().filter((p) => p.module === 'pmml-sparkml' && p.expected_csv);

describe('spark flavor: Spark 3.5 pipelines match Spark\'s own transform() outputs', () => {
  it.each(core.map((p) => [p.name, p]))('%s', async (_name, p) => {
    const dir = unzipPipeline(fixturePath(p.pipeline_zip));
    const pipeline = await loadPipeline(dir);
    const input = p.input.endsWith('.libsvm')
      ? libsvmFrame(fixturePath(p.input), p.name.includes('Housing') ? 13 : 4, p.name.includes('Iris'))
      : inputFrame(fixturePath(p.input), fixturePath(p.input_schema));
    const out = await pipeline.transform(input);
    const expected = readCsv(fixturePath(p.expected_csv as string));
    expect(out.numRows).toBe(expected.rows.length);
    const probCols = expected.header.filter((h) => h.startsWith('probability('));
    const classification = probCols.length > 0;
    const pred = numbers(out, p.name === 'KMeansIris' ? 'cluster' : 'prediction');
    const probs = out.column('probability')?.data.values as number[][] | undefined;
    const labelCol = expected.header[0];
    const labels = classification ? await indexerLabels(dir, labelCol) : null;
    const mismatches: string[] = [];
    expected.rows.forEach((row, i) => {
      expected.header.forEach((h, j) => {
        const want = row[j];
        if (h === labelCol) {
          if (classification) {
            // a binomial GLM predicts P(1): its label is the likelier class
            const index = probs ? pred[i] : pred[i] > 0.5 ? 1 : 0;
            const got = labels ? labels[index] : String(index);
            if (got !== want) mismatches.push(`row ${i} ${h}: ${got} != ${want}`);
          } else if (!close(pred[i], Number(want))) mismatches.push(`row ${i} ${h}: ${pred[i]} != ${want}`);
          return;
        }
        const k = probCols.indexOf(h);
        const got = probs ? probs[i][k] : k === 1 ? pred[i] : 1 - pred[i];
        if (!close(got, Number(want))) mismatches.push(`row ${i} ${h}: ${got} != ${want}`);
      });
    });
    expect(mismatches.slice(0, 5)).toEqual([]);
  });
});
