// Shop data page: builds the synthetic shop (or loads Online Retail) in a Worker and shows its
// statistics, categories and a few items; compares the checksum with the native build's.
const $ = (id) => document.getElementById(id);
const worker = new Worker(new URL('./shop-worker.mjs', import.meta.url), { type: 'module' });
let nextId = 1;
const pending = new Map();
worker.onmessage = ({ data }) => { pending.get(data.id)?.(data); pending.delete(data.id); };
worker.onerror = (e) => { $('status').textContent = `worker failed: ${e.message}`; $('status').className = 'status error'; };
const ask = (msg) => new Promise((ok) => { const id = nextId++; pending.set(id, ok); worker.postMessage({ ...msg, id }); });

const fmt = new Intl.NumberFormat('en-US');
const STAT_FIELDS = [
  ['users', 'users'], ['items', 'items'], ['interactions', 'interactions'], ['categories', 'categories'],
  ['brands', 'brands'], ['clicks', 'clicks'], ['purchases', 'purchases'], ['activeItems', 'items with events'],
  ['priceMean', 'mean price'], ['meanEventsPerUser', 'events per user'], ['top1pctItemShare', 'top 1 % items share'],
  ['firstTimestamp', 'first event'], ['lastTimestamp', 'last event'], ['checksum', 'checksum'],
];

function show(stats) {
  $('stats').replaceChildren(...STAT_FIELDS.map(([key, label]) => {
    const div = document.createElement('div');
    div.className = 'stat';
    let v = stats[key];
    if (key === 'priceMean') v = v.toFixed(2);
    else if (key === 'meanEventsPerUser') v = v.toFixed(2);
    else if (key === 'top1pctItemShare') v = `${(100 * v).toFixed(1)} %`;
    else if (typeof v === 'number') v = fmt.format(v);
    else if (key.endsWith('Timestamp')) v = v.slice(0, 10);
    div.innerHTML = `<div class="k"></div><div class="v" data-stat="${key}"></div>`;
    div.querySelector('.k').textContent = label;
    div.querySelector('.v').textContent = v;
    return div;
  }));
  const most = Math.max(1, ...stats.categoryBreakdown.map((c) => c.interactions));
  $('categories').tBodies[0].replaceChildren(...stats.categoryBreakdown.map((c) => {
    const tr = document.createElement('tr');
    tr.innerHTML = '<td></td><td class="num"></td><td class="num"></td><td><div class="bar"></div></td>';
    tr.cells[0].textContent = c.category;
    tr.cells[1].textContent = fmt.format(c.items);
    tr.cells[2].textContent = fmt.format(c.interactions);
    tr.querySelector('.bar').style.width = `${(100 * c.interactions / most).toFixed(1)}%`;
    return tr;
  }));
}

function showItems(items) {
  $('items-table').tBodies[0].replaceChildren(...items.map((it) => {
    const tr = document.createElement('tr');
    tr.innerHTML = '<td></td><td></td><td></td><td></td><td class="num"></td>';
    [it.id, it.title, it.category, it.brand, it.price.toFixed(2)].forEach((v, i) => { tr.cells[i].textContent = v; });
    return tr;
  }));
}

async function compareWithNative(stats, config) {
  // build/demo/synthetic/summary.json is written by the native CLI (npm start) for the defaults.
  const el = $('native');
  el.textContent = '';
  if (stats.name !== 'synthetic') return;
  try {
    const r = await fetch('demo/synthetic/summary.json');
    if (!r.ok) return;
    const native = await r.json();
    const sameConfig = Object.entries(native.config).every(([k, v]) => config[k] === undefined || config[k] === v);
    if (!sameConfig) return;
    const same = native.checksum === stats.checksum;
    el.className = `status ${same ? 'ok' : 'error'}`;
    el.dataset.match = String(same);
    el.textContent = same
      ? `Same checksum as the native build (${native.checksum}): bit-identical data in WebAssembly and natively.`
      : `Checksum differs from the native build: ${native.checksum} (native) vs ${stats.checksum} (wasm).`;
  } catch { /* no native summary: nothing to compare */ }
}

function readConfig() {
  const config = {};
  for (const key of ['seed', 'users', 'items', 'interactions']) config[key] = Number($(key).value);
  return config;
}

async function load(event) {
  event?.preventDefault();
  const source = $('source').value;
  const config = readConfig();
  $('generate').disabled = true;
  $('status').className = 'status';
  $('status').textContent = source === 'synthetic' ? 'generating…' : 'loading…';
  const res = await ask(source === 'synthetic' ? { kind: 'synthetic', config } : { kind: 'online-retail' });
  $('generate').disabled = false;
  if (!res.ok) {
    $('status').className = 'status error';
    $('status').textContent = `${res.name}: ${res.error}`;
    return;
  }
  $('engine').textContent = `engine ${res.version} (WebAssembly, in a Worker)`;
  $('status').textContent = `${source === 'synthetic' ? 'generated' : 'loaded'} in ${res.ms.toFixed(0)} ms`;
  $('status').dataset.ms = res.ms.toFixed(1);
  show(res.stats);
  showItems(res.items);
  document.body.dataset.loaded = source;
  await compareWithNative(res.stats, config);
}

$('controls').addEventListener('submit', load);
$('source').addEventListener('change', () => {
  const synthetic = $('source').value === 'synthetic';
  for (const key of ['seed', 'users', 'items', 'interactions']) $(key).disabled = !synthetic;
  load();
});
load();
