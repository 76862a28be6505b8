import { existsSync } from 'node:fs';
import { cp, mkdir, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MlflowError } from '../../errors.js';
import { OPTIONAL_PACKAGE_GROUPS, type OptionalPackageGroup } from '../../optional-packages.js';

/**
 * The packages model URIs load: s3://, gs:// and wasbs:// (and runs:/ or models:/ URIs whose
 * artifacts live there). An image built without a model is given its model URI when it runs, so it
 * keeps them; one built with its model serves that model from its own disk and leaves them out
 * (13 MB), as MLflow's image carries no cloud SDK either: a store URI given to such an image at run
 * time gets the named `npm install` error.
 */
export const MODEL_STORE_PACKAGES: readonly string[] = (['s3', 'gcs', 'azure'] as const).flatMap((g) => Object.keys(OPTIONAL_PACKAGE_GROUPS[g].packages));

/**
 * Packages only the deploy tools need (they talk to clouds' control planes; an image only serves).
 * Leaving them out keeps the image small; the deploy code imports them lazily, so serving never
 * loads them. The SageMaker group's S3 client and Azure's identity are model store packages too.
 */
export const DEPLOY_ONLY_PACKAGES: readonly string[] = [...Object.keys(OPTIONAL_PACKAGE_GROUPS.sagemaker.packages), 'aws-sdk-client-mock'].filter(
  (name) => !MODEL_STORE_PACKAGES.includes(name),
);

/**
 * Packages that only some flavors load, and only when they load a model (by dynamic import):
 * the optional tfjs, h5wasm and onnxruntime-node groups are most of the app's size, so an image
 * whose model has none of these flavors leaves them out.
 */
export const FLAVOR_PACKAGES: Readonly<Record<string, readonly string[]>> = Object.fromEntries(
  Object.values(OPTIONAL_PACKAGE_GROUPS as Record<string, OptionalPackageGroup>).flatMap((g) =>
    Object.keys(g.packages).flatMap((name): [string, readonly string[]][] => (g.flavors ? [[name, g.flavors]] : [])),
  ),
);

/**
 * The top-level packages an image leaves out: the deploy-only ones, and, with a model, the model
 * stores' and the flavor packages that none of the model's flavors loads. Without a model (its URI
 * is given when the image runs) every store's and flavor's are kept.
 */
export function packagesToOmit(flavors: readonly string[] | undefined): string[] {
  if (flavors === undefined) return [...DEPLOY_ONLY_PACKAGES];
  const unused = Object.entries(FLAVOR_PACKAGES)
    .filter(([, users]) => !users.some((f) => flavors.includes(f)))
    .map(([name]) => name);
  return [...DEPLOY_ONLY_PACKAGES, ...MODEL_STORE_PACKAGES, ...unused];
}

/** Files a running program never reads: source maps, TypeScript sources and declarations, docs. */
const UNNEEDED_FILE = /(\.map|\.ts|\.mts|\.cts|\.tsbuildinfo|\.md|\.markdown)$/i;
/** Minified browser bundles and their size reports: Node loads a package through its `main`. */
const BROWSER_BUNDLE = /(\.min\.m?js|\.html)$/i;
const SCRIPT = /\.(c|m)?js$/i;

/** A browser bundle: minified, a size report, or the unminified twin of a minified file. */
function isBrowserBundle(file: string): boolean {
  if (BROWSER_BUNDLE.test(file)) return true;
  const m = /^(.*)\.(m?js)$/.exec(file);
  return m !== null && existsSync(`${m[1]}.min.${m[2]}`);
}

/** A package's files, without its nested node_modules. */
async function packageFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const nested = path.join(dir, 'node_modules');
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name))
    .filter((f) => f !== nested && !f.startsWith(nested + path.sep));
}

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The browser bundles of a package that Node never loads: a bundle is kept when it is the
 * package's main file or an `exports` target, or when another of its scripts names it in a string (`require('./seedrandom')`
 * loads seedrandom.js, the twin of seedrandom.min.js).
 */
async function unusedBundles(dir: string): Promise<Set<string>> {
  const files = await packageFiles(dir);
  const pkg = await readPackageJson(dir);
  // The files Node may enter a package by: `main` and every target of `exports`.
  const entries = new Set([path.resolve(dir, typeof pkg.main === 'string' ? pkg.main : 'index.js')]);
  const addTargets = (v: unknown): void => {
    if (typeof v === 'string') entries.add(path.resolve(dir, v));
    else if (v !== null && typeof v === 'object') Object.values(v).forEach(addTargets);
  };
  addTargets(pkg.exports);
  const bundles = files.filter((f) => !entries.has(f) && isBrowserBundle(f));
  if (bundles.length === 0) return new Set();
  const stem = (f: string): string => path.basename(f).replace(/\.(c|m)?js$/i, '');
  const named = new RegExp(`[/'"\`](${[...new Set(bundles.map(stem))].map(escapeRegExp).join('|')})(\\.(c|m)?js)?['"\`]`, 'g');
  const referenced = new Set<string>();
  for (const f of files) {
    if (!SCRIPT.test(f) || bundles.includes(f)) continue;
    for (const m of (await readFile(f, 'utf8')).matchAll(named)) referenced.add(m[1]);
  }
  return new Set(bundles.filter((f) => !referenced.has(stem(f))));
}

/** The root of the installed mlflow-ts package (holds package.json, dist/, bin/, python/). */
export function appRoot(): string {
  // This file is src/deploy/docker/ or dist/deploy/docker/: three levels under the root.
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
}

interface PackageJson {
  name?: string;
  main?: unknown;
  exports?: unknown;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

async function readPackageJson(dir: string): Promise<PackageJson> {
  return JSON.parse(await readFile(path.join(dir, 'package.json'), 'utf8')) as PackageJson;
}

/**
 * Node's lookup: <dir>/node_modules/<name>, then each parent's. From a clone that stops in the
 * app's own node_modules; from an npm install, where mlflow-ts is itself under node_modules, the
 * hoisted packages sit beside it, as Node finds them.
 */
function resolvePackageDir(name: string, fromDir: string): string | undefined {
  for (let dir = fromDir; ; dir = path.dirname(dir)) {
    if (path.basename(dir) !== 'node_modules') {
      const candidate = path.join(dir, 'node_modules', name);
      if (existsSync(path.join(candidate, 'package.json'))) return candidate;
    }
    if (path.dirname(dir) === dir) return undefined;
  }
}

/**
 * Where an installed package goes in the image's app folder: a package inside the app keeps its
 * path; one hoisted beside the app (npm install) keeps its path from that node_modules.
 */
function installedPath(root: string, dir: string): string {
  const inside = path.relative(root, dir);
  if (!inside.startsWith('..')) return inside;
  // From an npm install: root is <project>/node_modules/mlflow-ts; hoisted packages are under
  // <project>/node_modules, and keep their path from <project>.
  const project = path.dirname(path.dirname(root));
  const hoisted = path.relative(project, dir);
  if (path.basename(path.dirname(root)) !== 'node_modules' || hoisted.startsWith('..')) {
    throw new MlflowError(`The package at ${dir} is outside both mlflow-ts (${root}) and the project that installed it`, 'INVALID_STATE');
  }
  return hoisted;
}

/**
 * The installed directories of the app's production dependencies, transitively, without the
 * deploy-only ones. An optional dependency that is not installed is skipped, as npm does.
 */
export async function productionPackageDirs(root: string, exclude: readonly string[] = DEPLOY_ONLY_PACKAGES): Promise<string[]> {
  const found = new Set<string>();
  const visit = async (pkgDir: string, isRoot: boolean): Promise<void> => {
    const pkg = await readPackageJson(pkgDir);
    const required = Object.keys(pkg.dependencies ?? {});
    const optional = [
      ...Object.keys(pkg.optionalDependencies ?? {}),
      ...Object.keys(pkg.peerDependencies ?? {}),
    ];
    for (const [names, mustExist] of [[required, true], [optional, false]] as const) {
      for (const name of names) {
        if (isRoot && exclude.includes(name)) continue;
        const dir = resolvePackageDir(name, pkgDir);
        if (dir === undefined) {
          const optionalPeer = pkg.peerDependenciesMeta?.[name]?.optional === true;
          if (mustExist && !optionalPeer) {
            throw new MlflowError(
              `Dependency '${name}' of '${pkg.name ?? pkgDir}' is not installed where Node would find it from ${pkgDir}; run \`npm ci\` (or \`npm install\`) first`,
              'INVALID_STATE',
            );
          }
          continue;
        }
        if (found.has(dir)) continue;
        found.add(dir);
        await visit(dir, false);
      }
    }
  };
  await visit(root, true);
  return [...found].sort();
}

/**
 * Copies the built app (dist/, bin/, python/, package.json) and its production dependencies
 * into `dest`, as `npm ci --omit=dev` would lay them out, without network access and without the
 * top-level packages in `omit`.
 */
export async function copyAppPackage(root: string, dest: string, omit: readonly string[] = DEPLOY_ONLY_PACKAGES): Promise<void> {
  // What bin/mlflow-ts.js runs (scripts/bundle.mjs makes it, after tsc).
  const cli = path.join(root, 'dist', 'bundle', 'cli.js');
  if (!existsSync(cli)) {
    throw new MlflowError(`mlflow-ts is not built: ${cli} is missing; run \`npm run build\` first`, 'INVALID_STATE');
  }
  await mkdir(dest, { recursive: true });
  const keep = (src: string): boolean => !UNNEEDED_FILE.test(src);
  for (const entry of ['dist', 'bin', 'python']) {
    if (existsSync(path.join(root, entry))) {
      await cp(path.join(root, entry), path.join(dest, entry), {
        recursive: true,
        filter: (src) => keep(src) && path.basename(src) !== '__pycache__',
      });
    }
  }
  await cp(path.join(root, 'package.json'), path.join(dest, 'package.json'));
  const placed = new Map<string, string>();
  for (const dir of await productionPackageDirs(root, omit)) {
    const rel = installedPath(root, dir);
    const clash = placed.get(rel);
    if (clash !== undefined) {
      throw new MlflowError(`Two installed packages would both go to ${rel} in the image: ${clash} and ${dir}`, 'INVALID_STATE');
    }
    placed.set(rel, dir);
    const target = path.join(dest, rel);
    // A package's own node_modules holds nested dependencies, each copied on its own if needed.
    const nested = path.join(dir, 'node_modules');
    const unused = await unusedBundles(dir);
    await cp(dir, target, { recursive: true, filter: (src) => keep(src) && src !== nested && !unused.has(src) });
  }
}
