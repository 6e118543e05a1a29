// Recommend page: a model and a shop (catalog and logged events) from data/ (or model files chosen here, or the model
// trained on the Train page), scenes, diversity, and a session whose events change the list at once.
import { createRecsys } from '../dist/index.mjs';

const $ = (id) => document.getElementById(id);
// Thousands separators without Intl: a fresh page's first toLocaleString() loads locale data,
// 50-90 ms on the first render's path (measured in Chromium here).
const count = (n) => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
const t0 = performance.now();
// The default model and the default shop (written by `npm start` with the native CLI) download
// while the engine starts. Without them the page generates the same shop itself.
const fetchAll = (urls, kinds) => Promise.all(urls.map((u, i) => fetch(u).then((r) => (r.ok ? r[kinds[i]]() : null))))
  .catch(() => urls.map(() => null));
const defaultModel = fetchAll(['data/demo/page-model/model.safetensors', 'data/demo/page-model/manifest.json'], ['arrayBuffer', 'text']);
// The shop in its binary form (shop.bin, docs/shop-format.md: nothing to parse), else its CSV files.
const defaultShop = fetch('data/demo/synthetic/shop.bin').then((r) => (r.ok ? r.arrayBuffer() : null)).catch(() => null)
  .then(async (shop) => {
    if (shop) return { shop };
    const [catalog, interactions] = await fetchAll(['data/demo/synthetic/catalog.csv', 'data/demo/synthetic/interactions.csv'], ['text', 'text']);
    return catalog && interactions ? { catalog, interactions } : null;
  });
// The page only serves, so it loads the serving engine (about 60 % of the full one's download);
// without the shop's files it needs the full engine, to generate the shop.
const serveEngine = createRecsys({ engine: 'serve' });
serveEngine.catch(() => {});  // reported below when used
const shopFiles = await defaultShop;
// On the main thread: the single-thread build (a wait for a helper thread would spin here).
const rs = shopFiles ? await serveEngine : await createRecsys({ threads: 1 });
performance.mark('recsys:engine');
async function syntheticShop() {
  if (shopFiles) return rs.loadDataset(shopFiles);
  return rs.generateShop();
}
const SOURCES = {
  synthetic: { model: 'data/demo/page-model', dataset: syntheticShop },
  'online-retail': {
    model: 'data/demo/page-online-retail-model',
    dataset: async () => {
      const [items, baskets] = await Promise.all(['items.csv', 'baskets.csv'].map(async (f) => {
        const r = await fetch(`data/online_retail/${f}`);
        if (!r.ok) throw new Error(`data/online_retail/${f}: HTTP ${r.status}`);
        return r.text();
      }));
      return rs.loadOnlineRetail({ items, baskets });
    },
  },
};

const state = { dataset: null, model: null, recommender: null, session: null, scene: 'default', name: null, loading: false };

function showError(e) {
  $('error').textContent = e ? `${e.name ?? 'Error'}: ${e.message ?? e}` : '';
}

async function modelFromCache() {
  // The Train page stores its model in the Cache API under /trained-model/.
  if (typeof caches === 'undefined') return null;
  const cache = await caches.open('recsys-models');
  const [w, m] = await Promise.all([cache.match('/trained-model/model.safetensors'), cache.match('/trained-model/manifest.json')]);
  if (!w || !m) return null;
  return { weights: new Uint8Array(await w.arrayBuffer()), manifest: await m.text() };
}

async function load(name) {
  const started = performance.now();
  state.loading = true;
  $('model-status').textContent = 'loading…';
  const dataset = await SOURCES[name].dataset();
  performance.mark('recsys:dataset');
  const fromTrain = new URLSearchParams(location.search).get('model') === 'trained' && name === 'synthetic';
  const files = fromTrain ? await modelFromCache() : null;
  let prefetched = null;
  if (!files && name === 'synthetic') {
    const [weights, manifest] = await defaultModel;
    if (weights && manifest) prefetched = { weights: new Uint8Array(weights), manifest };
  }
  const urls = { weights: new URL(`${SOURCES[name].model}/model.safetensors`, location.href).href,
    manifest: new URL(`${SOURCES[name].model}/manifest.json`, location.href).href };
  const model = await rs.loadModel(files ?? prefetched ?? urls);
  performance.mark('recsys:model');
  // What the fine-tuning Worker loads: the same files (bytes are copied to it once per model).
  state.files = files ?? prefetched ?? urls;
  swap({ dataset, model, name, origin: files ? 'the model trained on the Train page' : `${SOURCES[name].model}/` });
  $('model-status').dataset.loadMs = (performance.now() - started).toFixed(0);
}

function swap({ dataset, model, name, origin }) {
  const recommender = rs.createRecommender({ model, dataset, index: $('index').value });
  state.session?.dispose();
  state.recommender?.dispose();
  if (dataset !== state.dataset) state.dataset?.dispose();
  if (model !== state.model) state.model?.dispose();
  Object.assign(state, { dataset, model, recommender, name, session: null, loading: false });
  state.filesKey = (state.filesKey ?? 0) + 1;
  newSession();
  restoreVisit().catch(showError);
  // Once the first list has been painted (a frame, then a task; a task alone in a hidden tab,
  // where frames wait): the status line and the user list (the model's config crosses from the
  // engine as JSON: 20-30 ms of a cold page's first calls, measured), then what the recommender
  // otherwise computes on first use (the co-occurrence that the cart and product pages read).
  // Skipped when another swap or load has begun since.
  const details = () => {
    if (state.recommender !== recommender || state.loading) return;
    try {
      $('users').replaceChildren(...dataset.userIds({ limit: 60 }).map((u) => Object.assign(document.createElement('option'), { value: u })));
      $('model-status').textContent = `model from ${origin}: ${count(model.numItems)} items, ${count(model.numUsers)} users, ` +
        `preset ${model.config.preset}${model.hasRanker ? ', with a ranker' : ''}` +
        `${model.hasCandidateRanker ? `, with a candidate ranker (scene ${model.candidateRanker.scene})` : ''}; ${count(dataset.numInteractions)} logged events`;
      recommender.prepare();
    } catch (e) {
      showError(e);
    }
  };
  if (document.hidden) setTimeout(details, 0);
  else requestAnimationFrame(() => setTimeout(details, 0));
}

function newSession() {
  state.session?.dispose();
  const user = $('user').value.trim();
  try {
    state.session = state.recommender.createSession(user ? { userId: user } : {});
    showError(null);
  } catch (e) {
    showError(e);
    state.session = state.recommender.createSession();
  }
  $('events').replaceChildren();
  render();
}

function render() {
  // "For you": the recommender's default scene (a candidate ranker's own scene when the model has one).
  const scene = state.scene === 'default' ? state.recommender.defaultScene : state.scene;
  const req = { session: state.session, scene, k: Number($('k').value), diversity: Number($('diversity').value) };
  let recs;
  const t = performance.now();
  try {
    recs = state.recommender.recommend(req);
    showError(null);
  } catch (e) {
    showError(e);
    return;
  }
  const ms = performance.now() - t;
  $('latency').textContent = `${recs.length} recommendations in ${ms.toFixed(1)} ms (${state.recommender.stats().index} index)`;
  $('latency').dataset.ms = ms.toFixed(2);
  $('cards').replaceChildren(...recs.map(card));
  performance.mark('recsys:render');
  document.body.dataset.ready = state.name;
  const s = state.session;
  $('session').textContent = `${s.userId ? `user ${s.userId}` : 'anonymous visitor'}, ${s.size} events`;
}

function card(r) {
  const el = document.createElement('article');
  el.className = 'card';
  el.dataset.id = r.id;
  el.innerHTML = `<div class="title"></div><div class="meta"></div><div class="price"></div>
    <div class="actions"><button data-event="view">view</button><button data-event="add_to_cart">add to cart</button>
    <button data-event="purchase">buy</button><button class="secondary" data-why>why?</button></div>`;
  el.querySelector('.title').textContent = r.title;
  el.querySelector('.meta').textContent = `${r.category} · ${r.brand}`;
  el.querySelector('.price').textContent = `${r.price.toFixed(2)} · score ${r.score.toFixed(3)}`;
  for (const b of el.querySelectorAll('[data-event]')) b.addEventListener('click', () => track(r, b.dataset.event));
  el.querySelector('[data-why]').addEventListener('click', () => {
    const open = el.querySelector('dl');
    if (open) return open.remove();
    const x = r.explanation;
    const dl = document.createElement('dl');
    const rows = [['source', x.source], ['retrieval score', x.retrievalScore.toFixed(4)], ['relevance', x.relevance.toFixed(4)],
      ...(x.pClick !== undefined ? [['P(click)', x.pClick.toFixed(4)], ['P(purchase)', x.pPurchase.toFixed(4)]] : []),
      ['diversity adjustment', x.diversityAdjustment.toFixed(4)], ['final score', x.finalScore.toFixed(4)]];
    for (const [k, v] of rows) dl.append(Object.assign(document.createElement('dt'), { textContent: k }), Object.assign(document.createElement('dd'), { textContent: v }));
    el.append(dl);
  });
  return el;
}

function track(r, event) {
  try {
    state.session.track({ itemId: r.id, event });
  } catch (e) {
    showError(e);
    return;
  }
  showEvent(event, r.id, r.title);
  if (event === 'view') selectScene('product_page');
  else if (event === 'add_to_cart') selectScene('cart_page');
  else render();
  saveVisit();
  if ($('personalise').checked) fineTune();
}

function showEvent(event, id, title) {
  const li = document.createElement('li');
  li.textContent = `${event} ${id}${title ? ` — ${title}` : ''}`;
  $('events').prepend(li);
}

// ---- The visit on this device: IndexedDB (per demo dataset; the state names its model), the
// fine-tuning Worker, "forget me", export and import. Nothing here is sent anywhere.
const STORE_SCHEMA = 1;
const db = new Promise((resolve, reject) => {
  const req = indexedDB.open('recsys-wasm', STORE_SCHEMA);
  req.onupgradeneeded = () => req.result.createObjectStore('visits');
  req.onsuccess = () => resolve(req.result);
  req.onerror = () => reject(req.error);
});
async function idb(mode, fn) {
  const tx = (await db).transaction('visits', mode);
  const req = fn(tx.objectStore('visits'));
  return new Promise((resolve, reject) => { tx.oncomplete = () => resolve(req.result); tx.onerror = () => reject(tx.error); });
}
const visitKey = () => `visit:${state.name}`;
let lastFineTune = null;

function deviceStatus(extra = '') {
  const s = state.session;
  const tuned = lastFineTune
    ? `last fine-tune ${new Date(lastFineTune.at).toLocaleTimeString()}: loss ${lastFineTune.losses[0].toFixed(3)} → ${lastFineTune.losses.at(-1).toFixed(3)} (${lastFineTune.losses.length - 1} steps, ${lastFineTune.ms.toFixed(0)} ms in a Worker)`
    : 'not fine-tuned';
  $('device-status').textContent = `${s.size} events stored on this device; personalisation ${$('personalise').checked ? 'on' : 'off'}; ${tuned}${extra ? `. ${extra}` : ''}`;
}

function visitRecord() {
  return { storeSchema: STORE_SCHEMA, savedAt: Date.now(), personalise: $('personalise').checked, lastFineTune, visit: state.session.toJSON() };
}

async function saveVisit() {
  const record = visitRecord();
  const key = visitKey();
  await idb('readwrite', (store) => store.put(record, key)).catch(showError);
  deviceStatus();
}

function applyRecord(record) {
  if (record?.storeSchema !== STORE_SCHEMA) throw new RangeError(`a saved visit of schema ${record?.storeSchema}, this page reads ${STORE_SCHEMA}`);
  const session = state.recommender.restoreSession(record.visit);  // refuses a stale state
  state.session.dispose();
  state.session = session;
  $('user').value = session.userId ?? '';
  $('personalise').checked = Boolean(record.personalise);
  lastFineTune = record.lastFineTune ?? null;
  $('events').replaceChildren();
  for (const e of record.visit.events) showEvent(e.event, e.itemId);
  render();
}

async function restoreVisit() {
  const record = await idb('readonly', (store) => store.get(visitKey()));
  lastFineTune = null;
  delete $('device-status').dataset.refused;
  if (!record) return deviceStatus();
  try {
    applyRecord(record);
    deviceStatus('Your visit was restored from this device');
  } catch (e) {
    deviceStatus(`A visit saved on this device was not restored: ${e.message}`);
    $('device-status').dataset.refused = 'true';
  }
}

let worker = null;
let fitId = 0;
let workerKey = null;
function fineTune() {
  worker ??= new Worker(new URL('personalise-worker.mjs', import.meta.url), { type: 'module' });
  const id = ++fitId;
  const session = state.session;
  const history = [...(session.userId ? state.recommender.userHistory(session.userId) : []), ...session.toJSON().events.map((e) => e.itemId)];
  if (history.length === 0) return;
  const sendFiles = workerKey !== state.filesKey;
  workerKey = state.filesKey;
  $('device-status').dataset.fitting = 'true';
  deviceStatus('Fine-tuning in a Worker…');
  worker.onmessage = ({ data }) => {
    if (data.id !== fitId || session !== state.session) return;  // a newer request, or another visit
    delete $('device-status').dataset.fitting;
    if (data.error) return showError(new Error(data.error));
    session.setAdapter(data.adapter);
    lastFineTune = { at: Date.now(), losses: data.losses, ms: data.ms };
    render();
    saveVisit();
  };
  worker.postMessage({ id, key: state.filesKey, files: sendFiles ? state.files : undefined, userId: session.userId, history,
    steps: Number($('personalise-steps').value), learningRate: 0.005 });
}

$('personalise').addEventListener('change', () => {
  if ($('personalise').checked) fineTune();
  else {
    state.session.setAdapter(null);
    render();
  }
  saveVisit();
});
$('forget').addEventListener('click', async () => {
  await idb('readwrite', (store) => store.delete(visitKey())).catch(showError);
  lastFineTune = null;
  fitId++;  // a fine-tune in flight is dropped
  $('user').value = '';
  $('personalise').checked = false;
  newSession();
  deviceStatus('Forgotten: nothing of this visit is stored any more');
});
$('export-visit').addEventListener('click', () => {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([JSON.stringify(visitRecord(), null, 1)], { type: 'application/json' }));
  a.download = 'recsys-visit.json';
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
});
$('import-visit').addEventListener('change', async (e) => {
  try {
    applyRecord(JSON.parse(await e.target.files[0].text()));
    await saveVisit();
    deviceStatus('The visit was imported');
  } catch (err) {
    showError(err);
  } finally {
    e.target.value = '';
  }
});

function selectScene(scene) {
  state.scene = scene;
  for (const b of $('scenes').querySelectorAll('button')) b.setAttribute('aria-selected', String(b.dataset.scene === scene));
  render();
}

$('scenes').addEventListener('click', (e) => { if (e.target.dataset.scene) selectScene(e.target.dataset.scene); });
$('diversity').addEventListener('input', () => { $('diversity-value').textContent = Number($('diversity').value).toFixed(2); render(); });
$('k').addEventListener('change', render);
// Another visitor or a new session: it replaces the stored visit.
function freshVisit() {
  newSession();
  lastFineTune = null;
  saveVisit();
  if ($('personalise').checked) fineTune();
}
$('user').addEventListener('change', freshVisit);
$('reset').addEventListener('click', freshVisit);
$('index').addEventListener('change', () => swap({ dataset: state.dataset, model: state.model, name: state.name, origin: 'the same files' }));
$('dataset').addEventListener('change', () => load($('dataset').value).catch(showError));
$('model-files').addEventListener('change', async (e) => {
  // A model chosen here replaces the current one only if it loads; otherwise the old one stays.
  const files = [...e.target.files];
  const weights = files.find((f) => f.name.endsWith('.safetensors'));
  const manifest = files.find((f) => f.name.endsWith('.json'));
  try {
    if (!weights || !manifest) throw new Error('choose a .safetensors file and its manifest .json together');
    const picked = { weights: new Uint8Array(await weights.arrayBuffer()), manifest: await manifest.text() };
    const model = await rs.loadModel(picked);
    state.files = picked;
    swap({ dataset: state.dataset, model, name: state.name, origin: `${weights.name} + ${manifest.name}` });
  } catch (err) {
    showError(err);
    $('error').dataset.refused = 'true';
  } finally {
    e.target.value = '';
  }
});

try {
  await load('synthetic');
  $('engine').textContent = `${rs.engine} engine ${rs.version}, ready in ${(performance.now() - t0).toFixed(0)} ms`;
  $('engine').dataset.readyMs = (performance.now() - t0).toFixed(0);
} catch (e) {
  showError(e);
}
