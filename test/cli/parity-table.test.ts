import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Command, Option } from 'commander';
import { describe, expect, it } from 'vitest';
import { compatNote } from '../../src/cli/mlflow-options.js';
import { buildProgram } from '../../src/cli/program.js';

// README's "MLflow CLI parity" table, walked against the command tree: every MLflow option it
// lists exists on the command it names, handled as the row says (implemented, ignored or
// refused), and every option the tree marks ignored or refused has its row.
const readme = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');
const section = readme.slice(readme.indexOf('## MLflow CLI parity'), readme.indexOf('\n## ', readme.indexOf('## MLflow CLI parity') + 5));

interface Row {
  commands: string[];
  tokens: string[];
  kind: 'implemented' | 'ignored' | 'refused';
}

const ticks = (cell: string): string[] => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]);

const rows: Row[] = section
  .split('\n')
  .filter((l) => l.startsWith('| `'))
  .map((line) => {
    const [commandCell, optionCell, here] = line.split(' | ').map((c) => c.replace(/^\| /, ''));
    const [first, ...siblings] = ticks(commandCell);
    const parent = first.split(' ').slice(0, -1).join(' ');
    const kind = here.split(/[:, ]/)[0];
    if (kind !== 'implemented' && kind !== 'ignored' && kind !== 'refused') throw new Error(`row without a kind: ${line}`);
    return { commands: [first, ...siblings.map((s) => `${parent} ${s}`)], tokens: ticks(optionCell), kind };
  });

const program = buildProgram();

function command(path: string): Command {
  let cmd = program;
  for (const name of path.split(' ')) {
    const next = cmd.commands.find((c) => c.name() === name);
    if (!next) throw new Error(`no command '${path}'`);
    cmd = next;
  }
  return cmd;
}

function option(cmd: Command, flag: string): Option | undefined {
  return cmd.options.find((o) => o.long === flag || o.short === flag);
}

describe("README's MLflow CLI parity table", () => {
  it('has rows for every command group', () => {
    expect(rows.length).toBeGreaterThan(30);
    expect(new Set(rows.flatMap((r) => r.commands.map((c) => c.split(' ')[0])))).toEqual(new Set(['models', 'sagemaker', 'deployments']));
  });

  for (const row of rows) {
    for (const path of row.commands) {
      it(`${path}: ${row.tokens.join(' ')} (${row.kind})`, () => {
        const cmd = command(path);
        for (const token of row.tokens) {
          if (/^[A-Z_]+$/.test(token)) {
            expect(cmd.registeredArguments.map((a) => a.name().toUpperCase()), `argument ${token}`).toContain(token);
            continue;
          }
          for (const flag of token.split('/')) {
            const opt = option(cmd, flag);
            expect(opt, `${path} ${flag}`).toBeDefined();
            expect(compatNote(opt as Option)?.kind ?? 'implemented', `${path} ${flag}`).toBe(row.kind);
          }
        }
      });
    }
  }

  it("lists every option MLflow's command groups ignore or refuse here", () => {
    const listed = new Set(rows.flatMap((r) => r.commands.flatMap((c) => r.tokens.flatMap((t) => t.split('/').map((f) => `${c} ${f}`)))));
    const missing: string[] = [];
    const walk = (cmd: Command, path: string): void => {
      for (const o of cmd.options) if (compatNote(o) && !listed.has(`${path} ${o.long}`)) missing.push(`${path} ${o.long}`);
      for (const c of cmd.commands) walk(c, path === '' ? c.name() : `${path} ${c.name()}`);
    };
    // The pyfunc/sklearn aliases share serve's options; MLflow's groups are what the table covers.
    for (const group of ['models', 'sagemaker', 'deployments']) walk(command(group), group);
    expect(missing).toEqual([]);
  });
});
