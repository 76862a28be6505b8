import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

/**
 * Where the thread entries' bundles are when this module runs from the bundle: scripts/bundle.mjs
 * sets it (a thread importing one bundle, not the ~60 compiled modules it reaches, starts with
 * ~0.1 s less CPU). Undefined in the compiled dist/ and the .ts sources.
 */
const BUNDLED_THREADS = undefined as string | undefined;

/**
 * A worker thread running the module `name` (no extension) next to the module `here`
 * (its import.meta.url): its bundle, the compiled .js, or the .ts source through tsx (tests, bench).
 */
export function startThread(here: string, name: string, workerData: unknown): Worker {
  if (BUNDLED_THREADS !== undefined) return new Worker(new URL(`./${name}.js`, BUNDLED_THREADS), { workerData });
  if (!here.endsWith('.ts')) return new Worker(new URL(`./${name}.js`, here), { workerData });
  const entry = new URL(`./${name}.ts`, here).href;
  // tsx's ESM API (require.resolve would give its CommonJS build, which cannot register from here)
  const pkg = createRequire(here).resolve('tsx/package.json');
  const exports = (JSON.parse(readFileSync(pkg, 'utf8')) as { exports: Record<string, { import: { default: string } }> }).exports;
  const tsx = pathToFileURL(join(dirname(pkg), exports['./esm/api'].import.default)).href;
  const code = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`;
  return new Worker(code, { eval: true, workerData });
}
