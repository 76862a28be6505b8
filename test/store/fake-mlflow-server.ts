import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A small in-memory server answering as MLflow's tracking server documents its REST API 2.0
 * (https://mlflow.org/docs/latest/rest-api.html) and its artifact proxy
 * (/api/2.0/mlflow-artifacts/artifacts/...). It records every request for the tests to inspect.
 */
export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: http.IncomingHttpHeaders;
  body?: unknown;
}

type Json = Record<string, unknown>;

export class FakeMlflowServer {
  readonly requests: RecordedRequest[] = [];
  readonly artifacts = new Map<string, Buffer>();
  /** the Authorization header every request must carry (undefined: no check) */
  requiredAuth?: string;
  /**
   * Transient failures to answer before serving normally: each request whose path starts with
   * `pathPrefix` takes the next one (MLflow's server behind a proxy that is restarting).
   */
  readonly failures: { pathPrefix: string; status: number }[] = [];
  private server?: http.Server;
  private experiments = new Map<string, Json>();
  private runs = new Map<string, { info: Json; data: { metrics: Json[]; params: Json[]; tags: Json[] } }>();
  private models = new Map<string, { rm: Json; versions: Json[]; aliases: Map<string, string> }>();
  private nextId = 1;

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => this.handle(req, Buffer.concat(chunks), res));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  private handle(req: http.IncomingMessage, raw: Buffer, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x');
    const query = Object.fromEntries(url.searchParams.entries());
    const isJson = (req.headers['content-type'] ?? '').includes('application/json');
    const body = isJson && raw.length > 0 ? JSON.parse(raw.toString('utf8')) : undefined;
    this.requests.push({ method: req.method ?? 'GET', path: url.pathname, query, headers: req.headers, body });
    const send = (status: number, payload: unknown): void => {
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(payload));
    };
    const fail = (status: number, code: string, message: string): void => send(status, { error_code: code, message });
    const failure = this.failures.findIndex((f) => url.pathname.startsWith(f.pathPrefix));
    if (failure >= 0) {
      const [{ status }] = this.failures.splice(failure, 1);
      res.writeHead(status, { 'Content-Type': 'text/plain' });
      res.end(`transient ${status}`);
      return;
    }
    if (this.requiredAuth !== undefined && req.headers.authorization !== this.requiredAuth) {
      fail(401, 'UNAUTHENTICATED', 'Credentials were not supplied');
      return;
    }
    const artifactPrefix = '/api/2.0/mlflow-artifacts/artifacts';
    if (url.pathname === '/api/2.0/mlflow/broken') {
      res.writeHead(500, { 'Content-Type': 'text/html' });
      res.end('<html>Internal Server Error</html>');
      return;
    }
    if (url.pathname === artifactPrefix) {
      const dir = (query.path ?? '').replace(/\/+$/, '');
      const names = new Map<string, { is_dir: boolean; file_size?: number }>();
      for (const [p, data] of this.artifacts) {
        if (dir !== '' && !p.startsWith(`${dir}/`)) continue;
        const rest = dir === '' ? p : p.slice(dir.length + 1);
        const [head, ...tail] = rest.split('/');
        names.set(head, tail.length > 0 ? { is_dir: true } : { is_dir: false, file_size: data.length });
      }
      send(200, names.size === 0 ? {} : { files: [...names].map(([path, info]) => ({ path, ...info })) });
      return;
    }
    if (url.pathname.startsWith(`${artifactPrefix}/`)) {
      const p = decodeURIComponent(url.pathname.slice(artifactPrefix.length + 1));
      if (req.method === 'PUT') {
        this.artifacts.set(p, raw);
        send(200, {});
      } else if (this.artifacts.has(p)) {
        res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
        res.end(this.artifacts.get(p));
      } else fail(404, 'RESOURCE_DOES_NOT_EXIST', `File ${p} does not exist`);
      return;
    }
    const endpoint = url.pathname.replace('/api/2.0/mlflow/', '');
    const b = (body ?? {}) as Json;
    switch (`${req.method} ${endpoint}`) {
      case 'POST experiments/create': {
        const id = String(this.nextId++);
        this.experiments.set(id, { experiment_id: id, name: b.name, artifact_location: `mlflow-artifacts:/${id}`, lifecycle_stage: 'active' });
        return send(200, { experiment_id: id });
      }
      case 'GET experiments/get-by-name': {
        const exp = [...this.experiments.values()].find((e) => e.name === query.experiment_name);
        return exp ? send(200, { experiment: exp }) : fail(404, 'RESOURCE_DOES_NOT_EXIST', `Could not find experiment with name '${query.experiment_name}'`);
      }
      case 'POST runs/create': {
        const runId = `run${this.nextId++}`.padEnd(32, '0');
        const exp = this.experiments.get(String(b.experiment_id));
        if (!exp) return fail(404, 'RESOURCE_DOES_NOT_EXIST', `No Experiment with id=${String(b.experiment_id)} exists`);
        const info = {
          run_id: runId, run_uuid: runId, run_name: b.run_name ?? 'fake-run', experiment_id: b.experiment_id, user_id: b.user_id,
          status: 'RUNNING', start_time: b.start_time, artifact_uri: `${String(exp.artifact_location)}/${runId}/artifacts`, lifecycle_stage: 'active',
        };
        this.runs.set(runId, { info, data: { metrics: [], params: [], tags: (b.tags as Json[]) ?? [] } });
        return send(200, { run: this.runs.get(runId) });
      }
      case 'GET runs/get': {
        const run = this.runs.get(query.run_id);
        return run ? send(200, { run }) : fail(404, 'RESOURCE_DOES_NOT_EXIST', `Run '${query.run_id}' not found`);
      }
      case 'POST runs/update': {
        const run = this.runs.get(String(b.run_id));
        if (!run) return fail(404, 'RESOURCE_DOES_NOT_EXIST', `Run '${String(b.run_id)}' not found`);
        Object.assign(run.info, { status: b.status, end_time: b.end_time });
        return send(200, { run_info: run.info });
      }
      case 'POST runs/log-batch': {
        const run = this.runs.get(String(b.run_id));
        if (!run) return fail(404, 'RESOURCE_DOES_NOT_EXIST', `Run '${String(b.run_id)}' not found`);
        // As MLflow's server parses the request with protobuf's JSON mapping: a double is a
        // number or one of the strings "NaN", "Infinity", "-Infinity"; null is a missing value.
        const metrics = (b.metrics as Json[]) ?? [];
        const bad = metrics.findIndex((m) => typeof m.value !== 'number' && !['NaN', 'Infinity', '-Infinity'].includes(m.value as string));
        if (bad >= 0) {
          return fail(400, 'INVALID_PARAMETER_VALUE', `Missing value for required parameter 'metrics[${bad}].value'. See the API docs for more information about request parameters.`);
        }
        run.data.metrics.push(...metrics);
        run.data.params.push(...((b.params as Json[]) ?? []));
        run.data.tags.push(...((b.tags as Json[]) ?? []));
        return send(200, {});
      }
      case 'POST runs/log-model': {
        const run = this.runs.get(String(b.run_id));
        if (!run) return fail(404, 'RESOURCE_DOES_NOT_EXIST', `Run '${String(b.run_id)}' not found`);
        const existing = run.data.tags.find((t) => t.key === 'mlflow.log-model.history');
        const history = existing ? JSON.parse(String(existing.value)) : [];
        history.push(JSON.parse(String(b.model_json)));
        run.data.tags = [...run.data.tags.filter((t) => t !== existing), { key: 'mlflow.log-model.history', value: JSON.stringify(history) }];
        return send(200, {});
      }
      case 'POST registered-models/create': {
        const name = String(b.name);
        if (this.models.has(name)) return fail(400, 'RESOURCE_ALREADY_EXISTS', `Registered Model (name=${name}) already exists.`);
        this.models.set(name, { rm: { name, creation_timestamp: 1, last_updated_timestamp: 1 }, versions: [], aliases: new Map() });
        return send(200, { registered_model: this.models.get(name)!.rm });
      }
      case 'GET registered-models/get': {
        const m = this.models.get(query.name);
        if (!m) return fail(404, 'RESOURCE_DOES_NOT_EXIST', `Registered Model with name=${query.name} not found`);
        return send(200, { registered_model: { ...m.rm, aliases: [...m.aliases].map(([alias, version]) => ({ alias, version })) } });
      }
      case 'POST model-versions/create': {
        const m = this.models.get(String(b.name));
        if (!m) return fail(404, 'RESOURCE_DOES_NOT_EXIST', `Registered Model with name=${String(b.name)} not found`);
        const mv = {
          name: b.name, version: String(m.versions.length + 1), source: b.source, run_id: b.run_id, current_stage: 'None',
          status: 'READY', creation_timestamp: '1795712616947', last_updated_timestamp: '1795712616947',
        };
        m.versions.push(mv);
        return send(200, { model_version: mv });
      }
      case 'GET model-versions/get': {
        const mv = this.models.get(query.name)?.versions.find((v) => v.version === query.version);
        return mv ? send(200, { model_version: mv }) : fail(404, 'RESOURCE_DOES_NOT_EXIST', `Model Version (name=${query.name}, version=${query.version}) not found`);
      }
      case 'GET model-versions/get-download-uri': {
        const mv = this.models.get(query.name)?.versions.find((v) => v.version === query.version);
        return mv ? send(200, { artifact_uri: mv.source }) : fail(404, 'RESOURCE_DOES_NOT_EXIST', `Model Version (name=${query.name}, version=${query.version}) not found`);
      }
      case 'POST registered-models/alias': {
        this.models.get(String(b.name))?.aliases.set(String(b.alias), String(b.version));
        return send(200, {});
      }
      case 'GET registered-models/alias': {
        const m = this.models.get(query.name);
        const version = m?.aliases.get(query.alias);
        const mv = m?.versions.find((v) => v.version === version);
        return mv ? send(200, { model_version: { ...mv, aliases: [query.alias] } }) : fail(400, 'INVALID_PARAMETER_VALUE', `Registered model alias ${query.alias} not found.`);
      }
      case 'POST model-versions/transition-stage': {
        const mv = this.models.get(String(b.name))?.versions.find((v) => v.version === String(b.version));
        if (!mv) return fail(404, 'RESOURCE_DOES_NOT_EXIST', 'not found');
        mv.current_stage = b.stage;
        return send(200, { model_version: mv });
      }
      case 'POST registered-models/get-latest-versions': {
        const m = this.models.get(String(b.name));
        if (!m) return fail(404, 'RESOURCE_DOES_NOT_EXIST', `Registered Model with name=${String(b.name)} not found`);
        const stages = (b.stages as string[]).length > 0 ? (b.stages as string[]) : ['None', 'Staging', 'Production', 'Archived'];
        const latest = stages.flatMap((s) => {
          const inStage = m.versions.filter((v) => String(v.current_stage).toLowerCase() === s.toLowerCase());
          return inStage.length > 0 ? [inStage[inStage.length - 1]] : [];
        });
        return send(200, { model_versions: latest });
      }
      default:
        return fail(404, 'ENDPOINT_NOT_FOUND', `No endpoint ${String(req.method)} ${url.pathname}`);
    }
  }
}
