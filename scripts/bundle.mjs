// Bundles the compiled package (dist/, from `tsc -p tsconfig.build.json`) into dist/bundle/: one
// file per public entry point (the library, its subpaths, the CLI) plus shared chunks for what
// they load on first use. Start-up time: Node 20 pays for every ES module it resolves and links,
// and the CLI's `models predict` would otherwise load ~180 of them. package.json's `exports` and
// bin/ point at the bundle; the declarations stay in dist/.
//
// The compiled files stay in dist/ beside it, and two things keep pointing at them:
// - code that finds files relative to its own module (import.meta.url: the Python bridge's script,
//   the package root, the predict worker thread, the TF graph-cache key) sees the URL of its
//   compiled file, so those paths are the same bundled or not;
// - tfjs/tf.js, which re-exports tfjs's CommonJS packages (`export *`): a bundler
//   cannot list those names, so it is left as a module of its own, loaded through the package's
//   private import `#tfjs`.
import { readdirSync, rmSync } from 'node:fs';
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
};
for (const group of ['flavors', 'boosters']) {
  for (const name of readdirSync(path.join(ROOT, 'src', group), { withFileTypes: true })) {
    if (name.isDirectory()) entryPoints[`${group}-${name.name}`] = path.join(DIST, group, name.name, 'index.js');
  }
}

/** The two rules above, as an esbuild plugin. */
const keepCompiledPaths = {
  name: 'keep-compiled-paths',
  setup(b) {
    b.onResolve({ filter: /\/tf\.js$/ }, (args) => (path.resolve(args.resolveDir, args.path) === TF ? { path: '#tfjs', external: true } : undefined));
    b.onLoad({ filter: /\.js$/ }, async (args) => {
      const code = await readFile(args.path, 'utf8');
      if (!code.includes('import.meta.url')) return { contents: code, loader: 'js' };
      const rel = path.relative(OUT, args.path).split(path.sep).join('/');
      return { contents: code.replaceAll('import.meta.url', `new URL(${JSON.stringify(rel)}, import.meta.url).href`), loader: 'js' };
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
  plugins: [keepCompiledPaths],
  logLevel: 'warning',
});
if (result.warnings.length > 0) throw new Error(`esbuild warned ${result.warnings.length} times: fix them, a warning here is a broken import`);
