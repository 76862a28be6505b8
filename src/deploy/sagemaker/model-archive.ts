import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runChecked } from '../run-command.js';

/**
 * model.tar.gz as SageMaker wants it: the model directory's files at the archive's root, since
 * SageMaker unpacks it into /opt/ml/model, where the image serves from.
 */
export async function makeModelArchive(modelDir: string): Promise<Uint8Array> {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'mlflow-ts-model-'));
  try {
    const archive = path.join(tmp, 'model.tar.gz');
    await runChecked(`Archiving the model at ${modelDir}`, 'tar', ['-C', modelDir, '-czf', archive, '.']);
    return await readFile(archive);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
