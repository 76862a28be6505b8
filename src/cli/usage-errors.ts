import { Command, CommanderError } from 'commander';

/** Commander's codes for a command line that does not parse: click calls these usage errors. */
const USAGE_CODES = new Set([
  'commander.unknownOption',
  'commander.unknownCommand',
  'commander.missingArgument',
  'commander.optionMissingArgument',
  'commander.missingMandatoryOptionValue',
  'commander.invalidArgument',
  'commander.excessArguments',
  'commander.conflictingOption',
  'commander.usageError',
]);

/** click's exit status for a usage error (and what scripts written for `mlflow` test for). */
export const USAGE_EXIT_CODE = 2;

/** "-m, --model-uri <uri>" as click names an option: '-m' / '--model-uri'. */
function clickOptionName(flags: string): string {
  return flags
    .split(/[ ,|]+/)
    .filter((f) => f.startsWith('-'))
    .map((f) => `'${f}'`)
    .join(' / ');
}

/** click's wording for a value outside a choice list; other reasons as the parser gave them. */
function reason(value: string, why: string): string {
  const choices = /^Allowed choices are (.*)\.$/.exec(why);
  return choices ? `'${value}' is not one of ${choices[1].split(', ').map((c) => `'${c}'`).join(', ')}.` : why;
}

/** Commander's message ("error: unknown option '--x'") in click's words ("No such option: --x"). */
export function clickMessage(commanderMessage: string): string {
  const m = commanderMessage.replace(/^error: /, '').trim();
  let r: RegExpExecArray | null;
  if ((r = /^unknown option '([^']*)'(?:\s*\(Did you mean (\S+)\?\))?/.exec(m))) return `No such option: ${r[1]}${r[2] ? ` Did you mean ${r[2]}?` : ''}`;
  if ((r = /^unknown command '([^']*)'/.exec(m))) return `No such command '${r[1]}'.`;
  if ((r = /^required option '([^']*)' not specified/.exec(m))) return `Missing option ${clickOptionName(r[1])}.`;
  if ((r = /^option '([^']*)' argument missing/.exec(m))) return `Option ${clickOptionName(r[1]).split(' / ').pop()} requires an argument.`;
  if ((r = /^missing required argument '([^']*)'/.exec(m))) return `Missing argument '${r[1].toUpperCase()}'.`;
  if ((r = /^option '([^']*)' argument '([^']*)' is invalid\. (.*)$/s.exec(m))) return `Invalid value for ${clickOptionName(r[1])}: ${reason(r[2], r[3])}`;
  if ((r = /^command-argument value '([^']*)' is invalid for argument '([^']*)'\. (.*)$/s.exec(m))) return `Invalid value for '${r[2].toUpperCase()}': ${reason(r[1], r[3])}`;
  if ((r = /^too many arguments.*Expected \d+ arguments? but got \d+\.$/.exec(m))) return `Got unexpected extra arguments. ${m}`;
  return m.charAt(0).toUpperCase() + m.slice(1);
}

function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/**
 * Makes every command of the tree answer a malformed command line as click does for `mlflow`:
 * "Usage: ... / Try '... --help' for help. / Error: No such option: --x" on stderr, exit 2.
 * (Commander says "error: unknown option" and exits 1.) Errors from an action pass through.
 */
export function clickStyleUsageErrors(root: Command): Command {
  const visit = (cmd: Command): void => {
    cmd.configureOutput({
      outputError: (str, write) => {
        const path = commandPath(cmd);
        write(`Usage: ${path} ${cmd.usage()}\nTry '${path} --help' for help.\n\nError: ${clickMessage(str)}\n`);
      },
    });
    cmd.exitOverride((err) => {
      throw USAGE_CODES.has(err.code) ? new CommanderError(USAGE_EXIT_CODE, err.code, err.message) : err;
    });
    cmd.commands.forEach(visit);
  };
  visit(root);
  return root;
}

/** A usage error raised by a command's own checks (click.UsageError): printed and exit 2 like the others. */
export function usageError(cmd: Command, message: string): never {
  cmd.error(`error: ${message}`, { code: 'commander.usageError', exitCode: USAGE_EXIT_CODE });
}

/** The exit status for what parseAsync threw: a CommanderError carries its own (0 for --help). */
export function exitCodeOf(err: unknown): number | undefined {
  return err instanceof CommanderError ? err.exitCode : undefined;
}
