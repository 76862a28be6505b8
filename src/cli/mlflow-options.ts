import { Command, InvalidArgumentError, Option } from 'commander';
import { MlflowError } from '../errors.js';
import { warnOnStderr } from '../warnings.js';

/**
 * MLflow options that mlflow-ts accepts so that MLflow's command lines run unchanged, but that
 * have no meaning here (`ignored`: one warning line saying why) or would change the answer in a
 * way mlflow-ts cannot honour (`refused`: an error naming the option and why). README's CLI
 * parity table lists them; test/cli/parity-table.test.ts checks the two agree.
 */
export type CompatKind = 'ignored' | 'refused';

export interface CompatNote {
  kind: CompatKind;
  why: string;
}

const notes = new WeakMap<Option, CompatNote>();

/** How an option of the command tree is handled, when it is one of MLflow's without effect here. */
export function compatNote(option: Option): CompatNote | undefined {
  return notes.get(option);
}

function given(cmd: Command, option: Option): boolean {
  return cmd.getOptionValueSource(option.attributeName()) === 'cli';
}

function register(cmd: Command, option: Option, note: CompatNote): Command {
  notes.set(option, note);
  cmd.addOption(option);
  cmd.hook('preAction', (_self, action) => {
    if (!given(action, option)) return;
    const name = option.long ?? option.flags;
    if (note.kind === 'refused') throw new MlflowError(`${name} is not supported by mlflow-ts: ${note.why}`, 'INVALID_PARAMETER_VALUE');
    warnOnStderr(`WARNING: ${name} is ignored by mlflow-ts: ${note.why}`);
  });
  return cmd;
}

/** MLflow's option, accepted and ignored with a warning that says why. */
export function ignoredOption(cmd: Command, flags: string, description: string, why: string): Command {
  return register(cmd, new Option(flags, `${description} (MLflow's; ignored here: ${why})`), { kind: 'ignored', why });
}

/** MLflow's option, refused when given, naming why. */
export function refusedOption(cmd: Command, flags: string, description: string, why: string): Command {
  return register(cmd, new Option(flags, `${description} (MLflow's; refused here: ${why})`), { kind: 'refused', why });
}

/** click's KeyValueType: `key=value`, split at the first '='; repeatable. */
export function keyValuePair(value: string, previous: [string, string][] = []): [string, string][] {
  const eq = value.indexOf('=');
  if (eq < 0) throw new InvalidArgumentError(`'${value}' is not a valid key value pair, expecting \`key=value\``);
  return [...previous, [value.slice(0, eq), value.slice(eq + 1)]];
}

/** MLflow's --env-manager values. */
export const ENV_MANAGERS = ['local', 'virtualenv', 'uv', 'conda'] as const;
