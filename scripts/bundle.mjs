// Bundles the compiled package (dist/, from `tsc -p tsconfig.build.json`) into dist/bundle/: one
// file per public entry point (the library, its subpaths, the CLI) and worker thread entry, plus
// shared chunks for what they load on first use. Start-up time: Node 20 pays for every ES module it resolves and links,
// and the CLI's `models predict` would otherwise load ~180 of them. package.json's `exports` and
// bin/ point at the bundle; the declarations stay in dist/.
//
// The compiled files stay in dist/ beside it, and two things keep pointing at them:
// - code that finds files relative to its own module (import.meta.url: the Python bridge's script,
//   the package root, the TF graph-cache key) sees the URL of its compiled file, so those paths
//   are the same bundled or not; the worker threads are started from their own bundles
//   (serve/start-thread.js is told where they are);
// - tfjs/tf.js, which re-exports tfjs's CommonJS packages (`export *`): a bundler
//   cannot list those names, so it is left as a module of its own, loaded through the package's
//   private import `#tfjs`.
//
// One chunk for the library: esbuild puts each module in a chunk named by the set of entry points
// (dynamic import() targets included) that reach it, so with ~100 of them the modules
// `import('mlflow-ts')` loads were spread over ~40 files, and Node 20 spends ~1-2 ms resolving and
// linking each (more than their code costs). Every other entry point and import() target is
// therefore made to import the library's entry first: all it loads is then reached by every entry
// and lands in one chunk. Loading a flavor or a command's code loads that chunk too, which nearly
// every command needs anyway (models, frames, errors, the flavor registry). The CLI's own entry
// is left out (`--help` and option parsing need little of it): the few library modules it imports
// make a second chunk.
//
// What `import('mlflow-ts')` pays for beyond that chunk's own code (issue #16, start-up):
// - Node's builtins are taken with process.getBuiltinModule (Node >= 20.16), not imported: an
//   imported builtin gets an ES module facade that reads every export, which runs node:fs's lazy
//   getters (fs.promises, the ReadStream classes: node:stream and a dozen internal modules) and
//   node:crypto's (webcrypto). `import x from 'node:y'` and `import { a, b as c } from 'node:y'`,
//   the two forms tsc writes, become `const x = process.getBuiltinModule('node:y')` and
//   `const { a, b: c } = ...`. Builtins a module only needs now and then (node:http, crypto,
//   zlib, worker_threads) are taken where they are used, in src/.
// - createScoringServer is synchronous, and its module reaches node:http, the routes, the Open
//   Inference Protocol and the store: ~40% of the library. It is an entry of its own
//   (scoring-server.js), and the library's export is a function that loads it with require() on
//   the first call (Node >= 20.19 requires ES modules synchronously; package.json's engines).
//   The source keeps the plain re-export: this is the bundle's business only.
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { build } from 'esbuild';

const ROOT = path.resolve(import.meta.dirname, '..');
const DIST = path.join(ROOT, 'dist');
const OUT = path.join(DIST, 'bundle');
const TF = path.join(DIST, 'tfjs/tf.js');

/** Output name (flat, so every output file sits at the same depth) -> compiled entry. */
const entryPoints = {
  index: path.join(DIST, 'index.js'),
  arrow: path.join(DIST, 'arrow.js'),
  parquet: path.join(DIST, 'parquet.js'),
  cli: path.join(DIST, 'cli/main.js'),
  'scoring-server': path.join(DIST, 'serve/scoring-server.js'),
  // worker thread entries (serve/start-thread.js starts these when it runs from the bundle)
  'predict-worker-thread': path.join(DIST, 'serve/predict-worker-thread.js'),
  'large-body-thread': path.join(DIST, 'serve/large-body-thread.js'),
};
const START_THREAD = path.join(DIST, 'serve/start-thread.js');
for (const group of ['flavors', 'boosters']) {
  for (const name of readdirSync(path.join(ROOT, 'src', group), { withFileTypes: true })) {
    if (name.isDirectory()) entryPoints[`${group}-${name.name}`] = path.join(DIST, group, name.name, 'index.js');
  }
}

/**
 * Every compiled module another one loads with import(): esbuild makes each an entry of its own.
 * `packages` ones (import('apache-arrow')) stay outside the bundle and are not listed.
 */
function dynamicTargets() {
  const targets = new Set();
  for (const f of readdirSync(DIST, { recursive: true })) {
    if (!f.endsWith('.js') || f.startsWith('bundle')) continue;
    const file = path.join(DIST, f);
    for (const m of readFileSync(file, 'utf8').matchAll(/\bimport\((['"])(\.{1,2}\/[^'"]+)\1\)/g)) targets.add(path.resolve(path.dirname(file), m[2]));
  }
  return targets;
}
const joinLibrary = new Set([...Object.values(entryPoints), ...dynamicTargets()].filter((f) => f !== entryPoints.index && f !== entryPoints.cli));

/** A builtin's import, as tsc writes it: one line, a default or a named list. */
const BUILTIN_IMPORT = /^import (?:([\w$]+)|\{([^}]*)\}) from (['"])(node:[^'"]+)\3;$/gm;

function builtinConst(_line, name, names, _quote, id) {
  if (names !== undefined && /\bdefault\b/.test(names)) throw new Error(`import { default } from '${id}': write \`import x from '${id}'\``);
  return `const ${name ?? `{${names.replace(/\s+as\s+/g, ': ')}}`} = process.getBuiltinModule(${JSON.stringify(id)});`;
}

/** The library entry's re-export of createScoringServer, as a function requiring the scoring-server entry. */
function requireOnFirstCall(code) {
  const reexport = "export { createScoringServer } from './serve/scoring-server.js';";
  if (!code.includes(reexport)) throw new Error(`dist/index.js no longer has \`${reexport}\`: update scripts/bundle.mjs`);
  return code.replace(
    reexport,
    [
      "const { createRequire } = process.getBuiltinModule('node:module');",
      'export function createScoringServer(served, options) {',
      "  return createRequire(import.meta.url)('./scoring-server.js').createScoringServer(served, options);",
      '}',
    ].join('\n'),
  );
}

/** start-thread.js's BUNDLED_THREADS set to the bundle's directory (the URL of the chunk it lands in, which sits beside the entries). */
function threadsFromBundle(code) {
  const unset = 'const BUNDLED_THREADS = undefined;';
  if (!code.includes(unset)) throw new Error(`dist/serve/start-thread.js no longer has \`${unset}\`: update scripts/bundle.mjs`);
  return code.replace(unset, 'const BUNDLED_THREADS = import.meta.url;');
}

/** The rules above, as an esbuild plugin. */
const bundleRules = {
  name: 'mlflow-ts-bundle',
  setup(b) {
    b.onResolve({ filter: /\/tf\.js$/ }, (args) => (path.resolve(args.resolveDir, args.path) === TF ? { path: '#tfjs', external: true } : undefined));
    b.onLoad({ filter: /\.js$/ }, async (args) => {
      let code = (await readFile(args.path, 'utf8')).replace(BUILTIN_IMPORT, builtinConst);
      if (joinLibrary.has(args.path)) code = `import ${JSON.stringify(entryPoints.index)};\n${code}`;
      if (code.includes('import.meta.url')) {
        const rel = path.relative(OUT, args.path).split(path.sep).join('/');
        code = code.replaceAll('import.meta.url', `new URL(${JSON.stringify(rel)}, import.meta.url).href`);
      }
      if (args.path === entryPoints.index) code = requireOnFirstCall(code);
      if (args.path === START_THREAD) code = threadsFromBundle(code);
      return { contents: code, loader: 'js' };
    });
  },
};

// Chunk names carry a hash: last build's chunks would otherwise stay beside this one's.
rmSync(OUT, { recursive: true, force: true });
const result = await build({
  entryPoints,
  outdir: OUT,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  chunkNames: 'chunk-[hash]',
  plugins: [bundleRules],
  logLevel: 'warning',
  metafile: true,
});
if (result.warnings.length > 0) throw new Error(`esbuild warned ${result.warnings.length} times: fix them, a warning here is a broken import`);
const libraryFiles = result.metafile.outputs[path.relative(ROOT, path.join(OUT, 'index.js'))].imports.filter((i) => !i.external);
if (libraryFiles.length > 2) throw new Error(`import('mlflow-ts') loads ${libraryFiles.length} chunks, not two: ${libraryFiles.map((i) => i.path).join(', ')}`);
