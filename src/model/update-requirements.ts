import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MlflowError } from '../errors.js';
import { CONDA_ENV_FILE, REQUIREMENTS_FILE } from './environment.js';
import { formatPipRequirement, parsePipRequirement, type PipRequirement } from './pip-requirement.js';
import { uriScheme } from './uri-resolver.js';
import { parseYaml11, stringifyYaml11 } from './yaml.js';

export type RequirementsOperation = 'add' | 'remove';

export interface RequirementsUpdate {
  /** requirements.txt's and conda.yaml's pip list before and after, as written */
  before: string[];
  after: string[];
  /** names asked to be removed that neither file had */
  notFound: string[];
}

function isPipEntry(dep: unknown): dep is { pip: unknown[] } {
  return typeof dep === 'object' && dep !== null && !Array.isArray(dep) && Array.isArray((dep as { pip?: unknown }).pip);
}

async function readRequired(file: string): Promise<string> {
  return readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') throw new MlflowError(`The model has no ${path.basename(file)} to update ('${file}')`, 'RESOURCE_DOES_NOT_EXIST');
    throw e;
  });
}

/**
 * MLflow's `_add_or_overwrite_requirements` / `_remove_requirements`: entries keyed by their
 * name as written; an added name replaces the old entry in place, a new one goes last.
 */
function apply(operation: RequirementsOperation, changes: PipRequirement[], old: PipRequirement[], notFound: Set<string>): string[] {
  const byName = new Map(old.map((r) => [r.name, formatPipRequirement(r)]));
  for (const r of changes) {
    if (operation === 'add') byName.set(r.name, formatPipRequirement(r));
    else if (!byName.delete(r.name)) notFound.add(r.name);
  }
  return [...byName.values()];
}

/**
 * `mlflow models update-pip-requirements`: adds (overwriting the same package) or removes (by
 * name, whatever the version) requirements in a local model's requirements.txt and the pip list of
 * its conda.yaml, writing them as MLflow does (requirements.txt without a final newline, conda.yaml
 * as PyYAML's dump). python_env.yaml is left alone, as in MLflow: it reads requirements.txt.
 * Requirement strings are lower-cased, as MLflow's CLI does.
 */
export async function updateModelRequirements(modelUri: string, operation: RequirementsOperation, requirementStrings: string[]): Promise<RequirementsUpdate> {
  const scheme = uriScheme(modelUri);
  if (scheme === 'models') {
    throw new MlflowError(`Failed to set requirements on "${modelUri}". Model URIs with the \`models:/\` scheme are not supported.`, 'INVALID_PARAMETER_VALUE');
  }
  if (scheme !== undefined && scheme !== 'file') {
    throw new MlflowError(
      `Updating the requirements of a '${scheme}:' model is not supported by mlflow-ts (only local paths and file: URIs): download the model, update it and log it again`,
      'NOT_IMPLEMENTED',
    );
  }
  const dir = scheme !== 'file' ? modelUri : modelUri.startsWith('file://') ? fileURLToPath(modelUri) : modelUri.slice('file:'.length);
  const changes = requirementStrings.map((s) => parsePipRequirement(s.trim().toLowerCase()));
  const names = changes.map((c) => c.name);
  const repeated = names.filter((n, i) => names.indexOf(n) !== i);
  if (repeated.length > 0) throw new MlflowError(`Requirement ${repeated[0]} is given more than once`, 'INVALID_PARAMETER_VALUE');

  const reqFile = path.join(dir, REQUIREMENTS_FILE);
  const condaFile = path.join(dir, CONDA_ENV_FILE);
  const [reqText, condaText] = await Promise.all([readRequired(reqFile), readRequired(condaFile)]);
  const conda = parseYaml11(condaText, condaFile);
  if (typeof conda !== 'object' || conda === null || Array.isArray(conda)) throw new MlflowError(`${condaFile}: expected a mapping`, 'INVALID_PARAMETER_VALUE');
  const env = conda as Record<string, unknown>;
  const deps: unknown[] = Array.isArray(env.dependencies) ? env.dependencies : [];
  const condaPip = deps.filter(isPipEntry).flatMap((d) => d.pip.map(String));

  const parseAll = (lines: string[]): PipRequirement[] => lines.filter((l) => l !== '').map(parsePipRequirement);
  const notFound = new Set<string>();
  const oldReqs = parseAll(reqText.split(/\r?\n/));
  const newReqs = apply(operation, changes, oldReqs, notFound);
  const newConda = apply(operation, changes, parseAll(condaPip), new Set());

  // MLflow's _overwrite_pip_deps: the pip entry replaced in place, or appended when there is none.
  let hadPip = false;
  const newDeps = deps.map((d) => {
    if (!isPipEntry(d)) return d;
    hadPip = true;
    return { pip: newConda };
  });
  if (!hadPip) newDeps.push({ pip: newConda });
  await writeFile(condaFile, stringifyYaml11({ ...env, dependencies: newDeps }));
  await writeFile(reqFile, newReqs.join('\n'));
  return { before: oldReqs.map(formatPipRequirement), after: newReqs, notFound: [...notFound] };
}
