import { readFile } from 'node:fs/promises';
import { parseCsvRequest, parseJsonRequest } from '../frame/index.js';

/** An --input-example file: a JSON scoring request, else CSV. */
export async function readExample(file: string): Promise<unknown> {
  const text = await readFile(file, 'utf8');
  return file.toLowerCase().endsWith('.json') ? parseJsonRequest(text).input : parseCsvRequest(text);
}
