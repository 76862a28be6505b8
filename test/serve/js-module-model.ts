import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Writes a js_function model at `dir` whose loader module (code/<name>) has the source `code`; returns `dir`. */
export async function writeJsModuleModel(dir: string, name: string, code: string): Promise<string> {
  await mkdir(join(dir, 'code'), { recursive: true });
  await writeFile(join(dir, 'MLmodel'), `flavors:\n  js_function:\n    code: code\n    loader_module: ${name}\n    data: code\nmlflow_version: 2.22.1\n`);
  await writeFile(join(dir, 'code', name), code);
  return dir;
}
