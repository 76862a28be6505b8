import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** One recorded request to MLflow 2.22.1's scoring server and its answer. */
export interface Probe {
  title: string;
  method: string;
  contentType?: string;
  body: string;
  status: number;
  response: string;
}

/** Reads the probes of a protocol/*.md file (### title, then a fenced request/response). */
export function readProbes(file: string): Probe[] {
  const path = fileURLToPath(new URL(`../fixtures/frame/protocol/${file}`, import.meta.url));
  const text = readFileSync(path, 'utf8');
  const probes: Probe[] = [];
  for (const section of text.split('\n### ').slice(1)) {
    const title = section.slice(0, section.indexOf('\n'));
    const block = section.slice(section.indexOf('```\n') + 4, section.lastIndexOf('\n```'));
    const lines = block.split('\n');
    const arrow = lines.findIndex((l) => l.startsWith('--> '));
    const method = lines[0].split(' ')[0];
    const ct = lines[1].startsWith('Content-Type: ') ? lines[1].slice('Content-Type: '.length) : undefined;
    // Request: request line, Content-Type line, blank line, then the body up to the arrow.
    const body = ct === undefined ? '' : lines.slice(3, arrow).join('\n');
    const status = Number(lines[arrow].split(/\s+/)[1]);
    probes.push({ title, method, contentType: ct, body, status, response: lines.slice(arrow + 1).join('\n') });
  }
  return probes;
}
