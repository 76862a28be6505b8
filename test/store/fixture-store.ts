import { chmodSync, cpSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const FIXTURE_STORE = fileURLToPath(new URL('../fixtures/store/mlruns-example', import.meta.url));
export const EXPERIMENT_ID = '270717701508276623';
/** version 1 of "iris" (alias champion): LogisticRegression */
export const RUN_V1 = 'a9f0c161f2e6436ab24d274f984153d9';
/** version 2 of "iris" (stage Staging): DecisionTreeClassifier */
export const RUN_V2 = '51344f7940d24547a69f9d5811e8ae1e';

/** A writable copy of the fixture store in a new temporary folder; returns its root. */
export function copyFixtureStore(): string {
  const root = path.join(mkdtempSync(path.join(os.tmpdir(), 'mlflow-ts-store-')), 'mlruns');
  cpSync(FIXTURE_STORE, root, { recursive: true });
  makeWritable(root);
  return root;
}

function makeWritable(p: string): void {
  const st = statSync(p);
  chmodSync(p, st.mode | 0o200);
  if (st.isDirectory()) for (const e of readdirSync(p)) makeWritable(path.join(p, e));
}

/** Every file under root, '/'-separated, sorted. */
export function fileTree(root: string): string[] {
  return (readdirSync(root, { recursive: true, withFileTypes: true }) as import('node:fs').Dirent[])
    .filter((e) => e.isFile())
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
    .sort();
}
