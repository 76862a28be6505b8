import { MlflowError } from '../errors.js';
import type { Params } from '../flavors/flavor.js';
import { validateParamValue, type ParamSchema } from '../model/signature.js';
import { isPlainObject, inputTypeName } from './to-frame.js';

/**
 * MLflow's `_enforce_params_schema`: without a params schema, params are ignored; with one,
 * unknown params are dropped, each known one is type-checked and a missing one gets its default.
 */
export function enforceParams(params: unknown, schema: ParamSchema | undefined): Params | undefined {
  if (!schema) {
    if (params === undefined || params === null) return undefined;
    return {};
  }
  if (params === undefined || params === null) params = {};
  if (!isPlainObject(params)) {
    throw new MlflowError(`Parameters must be a dictionary. Got type '${inputTypeName(params)}'.`, 'INVALID_PARAMETER_VALUE');
  }
  const out: [string, unknown][] = [];
  const invalid: string[] = [];
  for (const spec of schema.params) {
    if (!Object.hasOwn(params, spec.name)) {
      out.push([spec.name, spec.default]);
      continue;
    }
    try {
      out.push([spec.name, validateParamValue(spec, params[spec.name])]);
    } catch (err) {
      invalid.push(`('${spec.name}', ${JSON.stringify((err as Error).message)})`);
    }
  }
  if (invalid.length > 0) {
    throw new MlflowError(`Invalid parameters found: {${invalid.join(', ')}}`, 'INVALID_PARAMETER_VALUE');
  }
  return Object.fromEntries(out);
}
