import { Command, Option } from 'commander';
import type { RuntimePlan } from '../pyfunc/load-predictor.js';
import type { ModelDescription } from '../store/index.js';

/**
 * `models describe -m <uri> [--json] [--runtime]`: a model's flavors, signature, input example
 * and environment, and which runtime `models predict`/`serve` would give it and why.
 */
export function registerModelsDescribe(models: Command): void {
  models
    .command('describe')
    .description("Show a model's flavors, signature, input example and Python environment")
    .requiredOption('-m, --model-uri <uri>', 'URI of the model: a local path, file://, runs:/, models:/, ...')
    .option('--json', 'print machine-readable JSON instead of text')
    .addOption(new Option('--runtime <runtime>', 'the runtime asked for, as in models predict/serve').choices(['auto', 'native', 'python'])
        .env('MLFLOW_TS_RUNTIME').default('auto'))
    .action(async (opts: { modelUri: string; json?: boolean; runtime: 'auto' | 'native' | 'python' }) => {
      const [{ describeModel }, { planRuntime }] = await Promise.all([import('../store/index.js'), import('../pyfunc/load-predictor.js')]);
      const description = await describeModel(opts.modelUri);
      // the folder describeModel resolved, so a remote model is not downloaded twice
      const runtime = await planRuntime(description.local_path, { runtime: opts.runtime });
      const described = { ...description, runtime };
      process.stdout.write(opts.json ? `${JSON.stringify(described, null, 2)}\n` : formatDescription(described));
    });
}

/** The description as text for people. */
export function formatDescription(d: ModelDescription & { runtime?: RuntimePlan }): string {
  const lines: string[] = [`Model: ${d.model_uri}`, `Local path: ${d.local_path}`];
  const field = (label: string, value: unknown): void => {
    if (value !== undefined) lines.push(`${label}: ${String(value)}`);
  };
  field('Run ID', d.run_id);
  field('Artifact path', d.artifact_path);
  field('Model UUID', d.model_uuid);
  field('Created (UTC)', d.utc_time_created);
  field('MLflow version', d.mlflow_version);
  field('Size (bytes)', d.model_size_bytes);

  lines.push('', 'Flavors:');
  for (const [name, conf] of Object.entries(d.flavors)) {
    lines.push(`  ${name}`);
    for (const [key, value] of Object.entries(conf)) lines.push(`    ${key}: ${inline(value)}`);
  }

  lines.push('', 'Signature:');
  if (d.signature === null) lines.push('  (none)');
  else {
    schemaLines(lines, 'Inputs', d.signature.inputs);
    schemaLines(lines, 'Outputs', d.signature.outputs);
    if (Array.isArray(d.signature.params)) {
      lines.push('  Params:');
      for (const p of d.signature.params as Record<string, unknown>[]) {
        const shape = p.shape === null || p.shape === undefined ? '' : ` shape ${inline(p.shape)}`;
        lines.push(`    ${String(p.name)}: ${typeText(p)}${shape} (default ${inline(p.default)})`);
      }
    }
  }

  lines.push('', 'Input example:');
  if (d.input_example === null) lines.push('  (none)');
  else {
    const orient = d.input_example.pandas_orient === undefined ? '' : `, pandas orient ${d.input_example.pandas_orient}`;
    lines.push(`  type ${d.input_example.type}${orient}`, `  ${inline(d.input_example.example)}`);
  }

  lines.push('', 'Environment:');
  if (d.environment === null) lines.push('  (none recorded)');
  else {
    lines.push(`  Python: ${d.environment.python}`);
    if (d.environment.build_dependencies.length > 0) lines.push(`  Build dependencies: ${d.environment.build_dependencies.join(', ')}`);
    lines.push('  Requirements:');
    for (const r of d.environment.requirements) lines.push(`    ${r}`);
  }
  if (d.runtime) {
    const runtime = d.runtime.runtime === 'python' ? 'python (the Python bridge)' : d.runtime.runtime;
    lines.push('', 'Runtime:', `  ${runtime}, flavor ${d.runtime.flavor}: ${d.runtime.reason}`);
  }
  return `${lines.join('\n')}\n`;
}

function schemaLines(lines: string[], label: string, schema: unknown): void {
  if (!Array.isArray(schema)) {
    lines.push(`  ${label}: (none)`);
    return;
  }
  lines.push(`  ${label}:`);
  schema.forEach((spec: Record<string, unknown>, i) => {
    const name = spec.name === undefined ? `[${i}]` : String(spec.name);
    const optional = spec.required === false ? ' (optional)' : '';
    lines.push(`    ${name}: ${typeText(spec)}${optional}`);
  });
}

/** A column or tensor type as one readable phrase: double, array<string>, tensor float64 (-1, 4). */
function typeText(spec: Record<string, unknown>): string {
  if (spec.type === 'tensor') {
    const t = (spec['tensor-spec'] ?? {}) as { dtype?: unknown; shape?: unknown };
    return `tensor ${String(t.dtype)} (${Array.isArray(t.shape) ? t.shape.join(', ') : ''})`;
  }
  if (spec.type === 'array') return `array<${typeText(spec.items as Record<string, unknown>)}>`;
  if (spec.type === 'map') return `map<string, ${typeText(spec.values as Record<string, unknown>)}>`;
  if (spec.type === 'object') {
    const props = Object.entries((spec.properties ?? {}) as Record<string, Record<string, unknown>>);
    return `object{${props.map(([k, v]) => `${k}: ${typeText(v)}${v.required === false ? '?' : ''}`).join(', ')}}`;
  }
  return String(spec.type);
}

function inline(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}
