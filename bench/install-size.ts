// Install size of each profile: `npm pack` this checkout, then install the tarball into empty
// projects from npm's cache (--prefer-offline) with each profile's optional packages, and weigh
// node_modules (bytes of files, as `du --apparent-size` counts them) and count its packages.
// The reference is the profile with every optional package. Run alone: `node --import tsx bench/install-size.ts`.
import { execFile } from 'node:child_process';
import { lstat, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { installCommand, type OptionalPackageGroupName } from '../src/optional-packages.js';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '..');

const PROFILES: [string, OptionalPackageGroupName[]][] = [
  ['core (sklearn, js_function, Python bridge, serve, predict)', []],
  ['+ tensorflow (tfjs, h5wasm)', ['tfjs', 'h5wasm']],
  ['+ onnx (onnxruntime-node)', ['onnx']],
  ['+ deploy (AWS SDKs for sagemaker)', ['sagemaker']],
  ['+ gcs (gs:// artifacts: @google-cloud/storage)', ['gcs']],
  ['+ azure (wasbs:// artifacts, Azure ML: @azure/storage-blob, @azure/identity)', ['azure']],
  ['every optional group', ['tfjs', 'h5wasm', 'onnx', 'sagemaker', 'gcs', 'azure']],
];

async function weigh(dir: string): Promise<{ bytes: number; packages: number }> {
  let bytes = 0;
  let packages = 0;
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    const file = path.join(e.parentPath, e.name);
    if (e.isFile()) bytes += (await lstat(file)).size;
    if (e.isFile() && e.name === 'package.json') {
      // a package is <...>/node_modules/<name>/ or <...>/node_modules/@scope/<name>/
      const parent = path.dirname(e.parentPath);
      const scoped = path.basename(parent).startsWith('@') && path.basename(path.dirname(parent)) === 'node_modules';
      if (path.basename(parent) === 'node_modules' || scoped) packages++;
    }
  }
  return { bytes, packages };
}

/** The npm arguments that add a group (its flags and package specs), from the same table the errors use. */
function groupArgs(group: OptionalPackageGroupName): string[] {
  return installCommand(group).split(' ').slice(2);
}

export async function benchInstallSize(): Promise<string> {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'mlflow-ts-size-'));
  try {
    const { stdout } = await run('npm', ['pack', '--silent', '--pack-destination', tmp], { cwd: ROOT, maxBuffer: 1 << 24 });
    const tarball = path.join(tmp, stdout.trim().split('\n').at(-1)!);
    const rows = ['| profile | npm install | node_modules | packages |', '|---|---|---:|---:|'];
    for (const [i, [name, groups]] of PROFILES.entries()) {
      const project = path.join(tmp, `p${i}`);
      await mkdir(project);
      await writeFile(path.join(project, 'package.json'), '{"name": "consumer", "version": "1.0.0", "private": true}\n');
      const extra = groups.flatMap(groupArgs);
      const flags = [...new Set(extra.filter((a) => a.startsWith('--')))];
      const specs = extra.filter((a) => !a.startsWith('--'));
      await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', ...flags, tarball, ...specs], { cwd: project, maxBuffer: 1 << 24 });
      const { bytes, packages } = await weigh(path.join(project, 'node_modules'));
      const cmd = groups.length === 0 ? 'npm install mlflow-ts' : groups.map((g) => `\`${installCommand(g)}\``).join(' + ');
      rows.push(`| ${name} | ${cmd} | ${(bytes / 1e6).toFixed(1)} MB | ${packages} |`);
    }
    return rows.join('\n');
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  process.stdout.write(`${await benchInstallSize()}\n`);
}
