import { promises as fs } from 'node:fs';
import path from 'node:path';
import { MlflowError } from '../errors.js';
import { yamlPackage } from '../formats/yaml-package.js';

/**
 * meta.yaml files as MLflow's file stores write them (PyYAML safe_dump: sorted keys, block style,
 * single-quoted strings where needed) so that Python MLflow reads ours and we read its.
 */
export function toMlflowYaml(data: Record<string, unknown>): string {
  return yamlPackage().stringify(data, { sortMapEntries: true, singleQuote: true, indentSeq: false, lineWidth: 0 });
}

export async function writeYamlFile(file: string, data: Record<string, unknown>): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  // Write then rename, so a reader never sees a half-written meta.yaml.
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  await fs.writeFile(tmp, toMlflowYaml(data), 'utf8');
  await fs.rename(tmp, file);
}

export async function readYamlFile(file: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    throw new MlflowError(`Cannot read ${file}: ${(err as Error).message}`, 'INTERNAL_ERROR', { cause: err });
  }
  let data: unknown;
  try {
    data = yamlPackage().parse(text);
  } catch (err) {
    throw new MlflowError(`Malformed YAML in ${file}: ${(err as Error).message}`, 'INTERNAL_ERROR', { cause: err });
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new MlflowError(`Malformed ${file}: expected a mapping at the top level`, 'INTERNAL_ERROR');
  }
  return data as Record<string, unknown>;
}
