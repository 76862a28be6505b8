import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';

let loaded: typeof Yaml | undefined;

/**
 * The yaml package, loaded on first use: loading it costs more than most commands spend on
 * anything else (~50-150 ms), and MLmodel files usually do not need it (model/pyyaml-reader.ts).
 * Synchronous (its Node build is CommonJS), so the readers that use it stay synchronous.
 */
export function yamlPackage(): typeof Yaml {
  loaded ??= createRequire(import.meta.url)('yaml') as typeof Yaml;
  return loaded;
}
