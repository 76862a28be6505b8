import { Command, Option } from 'commander';
import { MlflowError } from '../errors.js';
import type { LoadOptions } from '../flavors/flavor.js';
import { MLFLOW_COMPAT_VERSION } from '../version.js';
import { warnOnStderr } from '../warnings.js';
import { ENV_MANAGERS } from './mlflow-options.js';

export type EnvManager = (typeof ENV_MANAGERS)[number];

/** The flags that choose the Python bridge's environment, as commander hands them over. */
export interface EnvFlags {
  envManager: EnvManager;
  /** false after --no-conda */
  conda?: boolean;
  installMlflow?: boolean;
  pipRequirementsOverride?: string;
}

/**
 * `--env-manager` (default virtualenv, as MLflow's serve, predict and prepare-env: the model runs
 * with the packages its requirements pin) and `--install-mlflow`. Native flavors build nothing;
 * the environment is made only when a model goes to the Python bridge.
 */
export function envManagerOptions(cmd: Command, withNoConda = false): Command {
  cmd.addOption(
    new Option('--env-manager <manager>', 'environment for the Python bridge: local (MLFLOW_TS_PYTHON or python3), virtualenv, uv or conda')
      .choices(ENV_MANAGERS)
      .default('virtualenv'),
  );
  if (withNoConda) cmd.option('--no-conda', 'use the local environment (same as --env-manager local)');
  return cmd.option('--install-mlflow', `install mlflow==${MLFLOW_COMPAT_VERSION} into the environment built for the Python bridge`);
}

/** MLflow's -r/--pip-requirements-override: comma-separated requirements installed over the model's. */
export function pipOverrideOption(cmd: Command): Command {
  return cmd.option('-r, --pip-requirements-override <reqs>', 'comma-separated requirements (x==y,z==a) installed over the model\'s, in the environment built for the Python bridge');
}

/** The LoadOptions these flags select. */
export function envLoadOptions(flags: EnvFlags): Pick<LoadOptions, 'extraPipRequirements'> & { envManager: EnvManager } {
  const envManager: EnvManager = flags.conda === false ? 'local' : flags.envManager;
  const extra = (flags.pipRequirementsOverride ?? '').split(',').map((r) => r.trim()).filter((r) => r !== '');
  if (extra.length > 0 && envManager === 'local') {
    throw new MlflowError('--pip-requirements-override (-r) is not supported with --env-manager local, which builds no environment to install into: use virtualenv, uv or conda', 'INVALID_PARAMETER_VALUE');
  }
  if (flags.installMlflow) {
    // MLflow installs mlflow only into an environment it activates; the local one is left alone.
    if (envManager === 'local') warnOnStderr('WARNING: --install-mlflow is ignored with --env-manager local: no environment is built to install into');
    else extra.unshift(`mlflow==${MLFLOW_COMPAT_VERSION}`);
  }
  return { envManager, ...(extra.length > 0 ? { extraPipRequirements: extra } : {}) };
}
