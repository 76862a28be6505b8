import { existsSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Validator } from '@seriousme/openapi-schema-validator';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelRepository, registryLoader, createScoringServer, type ScoringServer } from '../../src/serve/index.js';

const fixture = (p: string): string => fileURLToPath(new URL(`../fixtures/${p}`, import.meta.url));
const quiet = pino({ level: 'silent' });
/** Debian's headless Chromium, which .ci/run installs; the browser test needs it. */
const CHROMIUM = process.env.MLFLOW_TS_CHROMIUM ?? '/usr/bin/chromium-headless-shell';

function get(port: number, path: string): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    }).on('error', reject).end();
  });
}

describe('OpenAPI document and model page', () => {
  let server: ScoringServer;
  let port: number;
  beforeAll(async () => {
    const repo = new ModelRepository(
      [{ name: 'iris', uri: fixture('sklearn/mlflow-2.22.1/iris_logreg') }, { name: 'iris-tensor', uri: fixture('serve/iris-tensor') }],
      registryLoader({}),
      quiet,
    );
    await repo.loadAll();
    server = createScoringServer(repo, { logger: quiet });
    port = (await server.listen(0)).port;
  });
  afterAll(() => server.close());

  it('serves a valid OpenAPI 3 document built from the signatures, with the input example', async () => {
    const r = await get(port, '/openapi.json');
    expect(r.status).toBe(200);
    const doc = JSON.parse(r.body);
    const validator = new Validator();
    const verdict = await validator.validate(doc);
    expect(verdict.errors ?? []).toEqual([]);
    expect(verdict.valid).toBe(true);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining([
      '/invocations', '/models/iris/invocations', '/models/iris-tensor/invocations', '/v2/models/iris/infer', '/v2/models/iris-tensor', '/ping', '/metrics',
    ]));
    const json = doc.paths['/models/iris/invocations'].post.requestBody.content['application/json'];
    expect(json.example).toEqual({ dataframe_split: { columns: ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'], data: [[5.1, 3.5, 1.4, 0.2], [4.9, 3.0, 1.4, 0.2], [4.7, 3.2, 1.3, 0.2]] } });
    const records = doc.components.schemas.Model_iris_Request.oneOf[1].properties.dataframe_records.items;
    expect(records.properties.sepal_length).toEqual({ type: 'number' });
    expect(records.required).toEqual(['sepal_length', 'sepal_width', 'petal_length', 'petal_width']);
    const v2 = doc.paths['/v2/models/iris/infer'].post.requestBody.content['application/json'].example;
    expect(v2.inputs[0]).toEqual({ name: 'sepal_length', datatype: 'FP64', shape: [3, 1], data: [5.1, 4.9, 4.7] });
    const tensor = doc.components.schemas['Model_iris-tensor_Request'].oneOf[0].properties.inputs;
    expect(tensor).toEqual({ type: 'array', items: { type: 'array', items: { type: 'number' }, minItems: 4, maxItems: 4 } });
  });

  it('the V2 example in the document scores as it is', async () => {
    const doc = JSON.parse((await get(port, '/openapi.json')).body);
    const example = JSON.stringify(doc.paths['/v2/models/iris/infer'].post.requestBody.content['application/json'].example);
    const status = await new Promise<number>((resolve, reject) => {
      request({ host: '127.0.0.1', port, path: '/v2/models/iris/infer', method: 'POST', headers: { 'content-type': 'application/json' }, agent: false }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      }).on('error', reject).end(example);
    });
    expect(status).toBe(200);
  });

  it('serves the page with its own script, a strict CSP and the models escaped into a data block', async () => {
    const r = await get(port, '/');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(String(r.headers['content-security-policy'])).toContain("script-src 'self'");
    expect(r.body).not.toMatch(/https?:\/\/(?!127)/);
    expect(r.body).toContain('<script src="/_page/app.js"></script>');
    const data = /<script id="model-data" type="application\/json">(.*?)<\/script>/s.exec(r.body);
    expect(JSON.parse((data as RegExpExecArray)[1]).map((m: { name: string }) => m.name)).toEqual(['iris', 'iris-tensor']);
    expect((await get(port, '/_page/app.js')).status).toBe(200);
  });

  it.skipIf(!existsSync(CHROMIUM))('loads in headless Chromium, scores the example and shows live metrics', async () => {
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    const shots = await mkdtemp(join(tmpdir(), 'mlflow-ts-page-'));
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
      await page.goto(`http://127.0.0.1:${port}/`);
      const iris = page.locator('section[data-model="iris"]');
      await expect(iris.locator('h2').textContent()).resolves.toBe('iris');
      await expect(iris.locator('table').first().textContent()).resolves.toContain('sepal_length');
      await iris.locator('button.score').click();
      await iris.locator('pre.result.ok').waitFor({ timeout: 10_000 });
      const result = JSON.parse((await iris.locator('pre.result').textContent()) as string);
      expect(result).toEqual({ predictions: [0, 0, 0] });
      await page.waitForFunction('/requests: [1-9]/.test(document.querySelector(\'section[data-model="iris"] .stats\').textContent)', undefined, { timeout: 10_000 });
      const shot = join(shots, 'page.png');
      await page.screenshot({ path: shot, fullPage: true });
      expect((await stat(shot)).size).toBeGreaterThan(5000);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
      await rm(shots, { recursive: true, force: true });
    }
  }, 60_000);
});
