// Reads a protocol transcript (test/fixtures/serve/protocol/*.md): each probe's request and
// what MLflow 2.22.1's scoring server answered, in the layout shared/tools/replay_protocol.py reads.
import { readFileSync } from 'node:fs';

export interface Probe {
  name: string;
  method: string;
  path: string;
  contentType: string | undefined;
  body: string;
  status: number;
  responseContentType: string;
  response: string;
}

export function readTranscript(path: string): Probe[] {
  const text = readFileSync(path, 'utf8');
  const probes: Probe[] = [];
  for (const m of text.matchAll(/^### (.+?)\n```\n([\s\S]*?)\n```/gm)) {
    const lines = m[2].split('\n');
    const [method, path] = lines[0].split(' ');
    const contentType = lines[1].startsWith('(no Content-Type') ? undefined : lines[1].slice(lines[1].indexOf(':') + 1).trim();
    const arrow = lines.findIndex((l) => l.startsWith('--> '));
    const head = /^--> (\d+)\s+content-type: (.*)$/.exec(lines[arrow]);
    probes.push({
      name: m[1],
      method,
      path,
      contentType,
      body: arrow > 3 ? lines.slice(3, arrow).join('\n') : '',
      status: Number(head?.[1]),
      responseContentType: head?.[2] ?? '',
      response: lines.slice(arrow + 1).join('\n'),
    });
  }
  return probes;
}
