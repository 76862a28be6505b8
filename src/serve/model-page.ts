import { VERSION } from '../version.js';

/** What the page shows of one served model. */
export interface PageModel {
  readonly name: string;
  readonly version?: string;
  readonly flavor: string;
  readonly flavors: readonly string[];
  readonly inputs?: unknown;
  readonly outputs?: unknown;
  /** The example request body (serving_input_example.json), if the model has one. */
  readonly servingInput?: unknown;
}

/**
 * The server's page at `/`: each model's flavors, signature and input example, a button that
 * scores the example, and live request counts from /metrics. Everything is served from here (no
 * CDN); the models' data goes in a JSON data block and is only ever written with textContent, so
 * nothing from a model file can run in the browser.
 */
export function modelPageHtml(models: readonly PageModel[]): string {
  // '<' escaped so a string in the data cannot close the data block.
  const data = JSON.stringify(models).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>mlflow-ts scoring server</title>
<style>
body { font: 15px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; padding: 0 1rem; color: #1d2330; }
h1 { font-size: 1.4rem; } h2 { font-size: 1.15rem; margin-top: 2rem; border-bottom: 1px solid #d5d9e0; }
table { border-collapse: collapse; margin: .5rem 0; } td, th { border: 1px solid #d5d9e0; padding: .2rem .6rem; text-align: left; }
pre { background: #f3f5f8; padding: .6rem; overflow: auto; max-height: 16rem; }
button { font: inherit; padding: .3rem .9rem; cursor: pointer; }
.muted { color: #5b6474; } .error { color: #a4161a; }
</style>
</head>
<body>
<h1>mlflow-ts scoring server <span class="muted">${VERSION}</span></h1>
<p class="muted">MLflow's scoring protocol (<code>/invocations</code>), the Open Inference Protocol (<code>/v2</code>), <a href="/openapi.json">OpenAPI document</a>, <a href="/metrics">metrics</a>.</p>
<div id="models"></div>
<script id="model-data" type="application/json">${data}</script>
<script src="/_page/app.js"></script>
</body>
</html>
`;
}

/** The page's script: renders the data block, scores examples, polls /metrics. */
export const MODEL_PAGE_SCRIPT = `'use strict';
(function () {
  var models = JSON.parse(document.getElementById('model-data').textContent);
  var root = document.getElementById('models');
  function el(tag, text, cls) { var e = document.createElement(tag); if (text !== undefined) e.textContent = text; if (cls) e.className = cls; return e; }
  function specTable(title, specs) {
    var wrap = el('div');
    wrap.appendChild(el('h3', title));
    if (!Array.isArray(specs) || specs.length === 0) { wrap.appendChild(el('p', 'none', 'muted')); return wrap; }
    var t = el('table'); var head = el('tr');
    ['name', 'type', 'shape / required'].forEach(function (h) { head.appendChild(el('th', h)); });
    t.appendChild(head);
    specs.forEach(function (s, i) {
      var r = el('tr');
      var ts = s['tensor-spec'];
      r.appendChild(el('td', s.name !== undefined ? String(s.name) : '(' + i + ')'));
      r.appendChild(el('td', ts ? 'tensor ' + ts.dtype : (typeof s.type === 'string' ? s.type : JSON.stringify(s.type))));
      r.appendChild(el('td', ts ? JSON.stringify(ts.shape) : String(s.required !== false)));
      t.appendChild(r);
    });
    wrap.appendChild(t);
    return wrap;
  }
  var counters = {};
  models.forEach(function (m) {
    var sec = el('section'); sec.setAttribute('data-model', m.name);
    sec.appendChild(el('h2', m.name + (m.version ? ' (version ' + m.version + ')' : '')));
    sec.appendChild(el('p', 'Scored by the ' + m.flavor + ' flavor; flavors in MLmodel: ' + m.flavors.join(', ')));
    sec.appendChild(specTable('Inputs', m.inputs));
    sec.appendChild(specTable('Outputs', m.outputs));
    var stats = el('p', 'requests: 0, in flight: 0', 'muted stats');
    counters[m.name] = stats;
    sec.appendChild(stats);
    sec.appendChild(el('h3', 'Input example'));
    if (m.servingInput === undefined || m.servingInput === null) {
      sec.appendChild(el('p', 'The model has no input example.', 'muted'));
    } else {
      var body = JSON.stringify(m.servingInput, null, 2);
      sec.appendChild(el('pre', body));
      var button = el('button', 'Score the example'); button.className = 'score';
      var out = el('pre', '', 'result'); out.hidden = true;
      button.addEventListener('click', function () {
        out.hidden = false; out.className = 'result'; out.textContent = 'scoring...';
        fetch('/models/' + encodeURIComponent(m.name) + '/invocations', { method: 'POST', headers: { 'content-type': 'application/json' }, body: body })
          .then(function (r) { return r.text().then(function (t) { return { ok: r.ok, status: r.status, text: t }; }); })
          .then(function (r) {
            var shown = r.text;
            try { shown = JSON.stringify(JSON.parse(r.text), null, 2); } catch (e) { /* not JSON: shown as sent */ }
            out.textContent = (r.ok ? '' : 'HTTP ' + r.status + '\\n') + shown;
            out.className = r.ok ? 'result ok' : 'result error';
          })
          .catch(function (e) { out.textContent = String(e); out.className = 'result error'; });
      });
      sec.appendChild(button);
      sec.appendChild(out);
    }
    root.appendChild(sec);
  });
  function sample(text, metric, model) {
    var total = 0; var re = new RegExp('^' + metric + '\\\\{([^}]*)\\\\} ([0-9.e+-]+)$', 'gm'); var m;
    while ((m = re.exec(text)) !== null) { if (m[1].indexOf('model="' + model + '"') >= 0) total += Number(m[2]); }
    return total;
  }
  function poll() {
    fetch('/metrics').then(function (r) { return r.text(); }).then(function (text) {
      models.forEach(function (m) {
        counters[m.name].textContent = 'requests: ' + sample(text, 'mlflow_ts_requests_total', m.name) + ', in flight: ' + sample(text, 'mlflow_ts_requests_in_flight', m.name);
      });
    }).catch(function () { /* the next poll tries again */ });
  }
  poll();
  setInterval(poll, 2000);
})();
`;
