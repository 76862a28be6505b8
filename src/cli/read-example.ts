import { readFile } from 'node:fs/promises';

/** An --input-example file: a JSON scoring request, else CSV. */
export async function readExample(file: string): Promise<unknown> {
  const text = await readFile(file, 'utf8');
  const [{ parseJsonRequest }, { parseCsvRequest }] = await Promise.all([import('../frame/request-json.js'), import('../frame/request-csv.js')]);
  return file.toLowerCase().endsWith('.json') ? parseJsonRequest(text).input : parseCsvRequest(text);
}
