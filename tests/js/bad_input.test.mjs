// The bad-input matrix (tests/bad_input/cases.json) through the JS API: each case gets its error
// (class from its kind, message) or its answer, and afterwards the fixture's state is what it was
// (model weights checksum, dataset checksum, recommender counters and answer, session events and
// answer, vector index answer). The same table drives tests/cpp/native/test_bad_input.cpp.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRecsys } from 'recsys-wasm';

const table = JSON.parse(readFileSync(new URL('../bad_input/cases.json', import.meta.url), 'utf8'));
const { setup } = table;
const rs = await createRecsys();

const num = (v) => (v !== null && typeof v === 'object' ? Number(v.number) : v);
const text = (v) => (typeof v === 'string' ? v : v.map((p) => (typeof p === 'string' ? p : p.repeat.repeat(p.times))).join(''));
const deep = (v) => (Array.isArray(v) ? v.map(deep)
  : v !== null && typeof v === 'object' ? ('number' in v ? num(v) : Object.fromEntries(Object.entries(v).map(([k, x]) => [k, deep(x)])))
    : v);

async function trained(shopConfig) {
  const dataset = rs.generateShop(shopConfig);
  const trainer = rs.createTrainer(dataset, { ...setup.train, patience: 0 });
  await trainer.train();
  const model = trainer.model;
  trainer.dispose();
  return { dataset, model };
}
const { dataset: shop, model } = await trained(setup.shop);
const { dataset: other, model: otherModel } = await trained(setup.other_shop);
const files = model.toFiles();
const rec = rs.createRecommender({ model, dataset: shop });
const session = rec.createSession({ userId: setup.session.userId });
for (const [itemId, event, timestamp] of setup.session.events) session.track({ itemId, event, timestamp });
const index = rs.createIndex({ kind: setup.index.kind }).build(new Float32Array(setup.index.vectors), setup.index.n, setup.index.d);
const probeQuery = new Float32Array(setup.probe.query);

// Everything a failed call must leave as it was. The probes serve requests, so the recommender's
// counters are compared across the case (after the last probe, before the next).
function snapshot() {
  const before = rec.stats();
  const list = rec.recommend({ k: setup.probe.k }).map((x) => `${x.id}:${x.score}`);
  const sessionList = rec.recommend({ session, k: setup.probe.k }).map((x) => `${x.id}:${x.score}`);
  const after = rec.stats();
  const hits = index.search(probeQuery, { k: index.size });
  return {
    model: model.checksum, dataset: shop.stats().checksum, before, after, list, sessionList,
    session: { size: session.size, version: session.version, userId: session.userId },
    index: { size: index.size, dim: index.dim, ids: [...hits.ids], scores: [...hits.scores] },
  };
}

// The weights (and manifest) mutated as a case says.
function weightsOf(spec) {
  const w = files.weights.slice();
  if (!spec) return w;
  const view = new DataView(w.buffer);
  const headerLength = Number(view.getBigUint64(0, true));
  if (spec.truncate !== undefined) return w.slice(0, spec.truncate);
  if (spec.header_length !== undefined) { view.setBigUint64(0, BigInt(spec.header_length), true); return w; }
  if (spec.replace_in_header) {
    const header = new TextDecoder().decode(w.subarray(8, 8 + headerLength));
    const [from, to] = spec.replace_in_header;
    assert.equal(from.length, to.length);
    w.set(new TextEncoder().encode(header.replace(from, to)), 8);
    return w;
  }
  if (spec.nan_at_data !== undefined) { view.setFloat32(8 + headerLength + 4 * spec.nan_at_data, NaN, true); return w; }
  throw new Error(`unknown weights mutation ${JSON.stringify(spec)}`);
}
function manifestOf(spec) {
  if (!spec) return files.manifest;
  if (spec.truncate !== undefined) return files.manifest.slice(0, spec.truncate);
  const m = JSON.parse(files.manifest);
  if (spec.set) {
    const path = spec.set[0].split('/');
    let o = m;
    for (const key of path.slice(0, -1)) o = o[key];
    o[path.at(-1)] = spec.set[1];
  }
  if (spec.drop_last_item) for (const v of Object.values(m.items)) if (Array.isArray(v)) v.pop();
  return JSON.stringify(m);
}

const calls = {
  loadCatalog: ({ text: t, format }) => {
    const c = rs.loadCatalog(text(t), { format });
    const [first] = c.items({ limit: 1 });
    const out = { size: c.size, id: first.id, title: first.title, category: first.category, brand: first.brand,
      titleBytes: new TextEncoder().encode(first.title).length };
    c.dispose();
    return out;
  },
  loadDataset: ({ catalog, interactions, interactionsFormat }) => {
    const d = rs.loadDataset({ catalog: catalog === '$shop' ? shop.catalogCsv() : text(catalog), interactions: text(interactions), interactionsFormat });
    d.dispose();
    return {};
  },
  loadModel: async ({ weights, manifest }) => {
    const m = await rs.loadModel({ weights: weightsOf(weights), manifest: manifestOf(manifest) });
    m.dispose();
    return {};
  },
  recommend: ({ request, session: withSession }) => {
    const list = rec.recommend({ ...deep(request), ...(withSession ? { session } : {}) });
    return { count: list.length, ids: list.map((x) => x.id) };
  },
  track: ({ itemId, event, timestamp }) => { session.track({ itemId, event, timestamp }); return {}; },
  createRecommender: ({ dataset, options = {} }) => {
    rs.createRecommender({ model, dataset: dataset === '$other' ? other : shop, ...deep(options) }).dispose();
    return {};
  },
  reload: () => { rec.reload(otherModel); return {}; },
  indexBuild: ({ n, d, vectors }) => { index.build(new Float32Array(vectors.map(num)), n, d); return {}; },
  indexSearch: ({ k, exclude }) => ({ ids: [...index.search(probeQuery, { k, exclude }).ids] }),
  modelRecommend: ({ history, k }) => ({ count: model.recommend({ history, k }).length }),
  createTrainer: ({ config = {}, options = {} }) => { rs.createTrainer(shop, { ...options, config }).dispose(); return {}; },
  createExperiment: ({ config }) => { rs.createExperiment({ model, dataset: shop, config }).dispose(); return {}; },
  loadOnlineRetailCsv: ({ text: t }) => { rs.loadOnlineRetailCsv(text(t)).dispose(); return {}; },
};

const CLASS = { type: TypeError, range: RangeError };

function checkOk(out, ok) {
  for (const [key, want] of Object.entries(ok)) {
    if (key === 'maxCount') assert.ok(out.count <= want, `${out.count} > ${want}`);
    else if (key === 'minCount') assert.ok(out.count >= want, `${out.count} < ${want}`);
    else if (key === 'distinct') assert.equal(new Set(out.ids).size, out.ids.length);
    else assert.deepEqual(out[key], want, key);
  }
}

test('the matrix has at least 30 cases, each named once, each with an error or an answer', () => {
  assert.ok(table.cases.length >= 30, `${table.cases.length} cases`);
  assert.equal(new Set(table.cases.map((c) => c.name)).size, table.cases.length);
  for (const c of table.cases) {
    assert.ok(calls[c.call], `${c.name}: unknown call ${c.call}`);
    assert.ok(!!c.error !== !!c.ok, c.name);
  }
});

test('every case: its error or its answer, and the state unchanged afterwards', async (t) => {
  let state = snapshot();
  for (const c of table.cases) {
    if (c.layers && !c.layers.includes('js')) continue;
    await t.test(c.name, async () => {
      let out;
      let error = null;
      try {
        out = await calls[c.call](c.args);
      } catch (e) {
        error = e;
      }
      if (c.error) {
        assert.ok(error, 'expected an error');
        assert.equal(error.constructor, CLASS[c.error.kind] ?? Error, `${error.constructor.name}: ${error.message}`);
        assert.equal(error.kind, c.error.kind, error.message);
        assert.match(error.message, new RegExp(c.error.js_message ?? c.error.message, 'u'));
      } else {
        assert.equal(error, null, error?.message);
        checkOk(out, c.ok);
      }
      const now = snapshot();
      // A refused call counts nothing; a served one counts itself.
      if (c.error) assert.deepEqual(now.before, state.after, 'recommender counters');
      for (const key of ['model', 'dataset', 'list', 'sessionList', 'session', 'index']) {
        assert.deepEqual(now[key], state[key], key);
      }
      state = now;
    });
  }
});
