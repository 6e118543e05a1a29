// Browser side of `npm run bench -- session`: with a 100,000-item catalog, the time from a session
// event to the next top-10 (track + recommend), for each index kind, on the full or the serving
// engine; and the time each engine takes to start and to load the shop and the model. dist: the
// build to measure (/dist, or an earlier build's /baseline).

const log = (s) => { document.getElementById('log').textContent += `\n${s}`; console.log(s); };
const pct = (a, p) => { const s = [...a].sort((x, y) => x - y); return s[Math.min(s.length - 1, Math.floor(s.length * p))]; };

window.runBench = async ({ engine = 'full', shopUrl, modelUrl, events = 200, kinds = ['exact', 'int8', 'ivf'], dist = '/dist' }) => {
  const { createRecsys } = await import(`${dist}/index.mjs`);  // the current build, or a baseline
  const [catalog, interactions, weights, manifest] = await Promise.all([
    fetch(`${shopUrl}/catalog.csv`).then((r) => r.text()), fetch(`${shopUrl}/interactions.csv`).then((r) => r.text()),
    fetch(`${modelUrl}/model.safetensors`).then((r) => r.arrayBuffer()), fetch(`${modelUrl}/manifest.json`).then((r) => r.text())]);
  let t0 = performance.now();
  const rs = await createRecsys({ engine });
  const engineMs = performance.now() - t0;
  t0 = performance.now();
  const dataset = rs.loadDataset({ catalog, interactions });
  const datasetMs = performance.now() - t0;
  t0 = performance.now();
  const model = await rs.loadModel({ weights: new Uint8Array(weights), manifest });
  const loadMs = performance.now() - t0;
  log(`${engine} engine ${engineMs.toFixed(0)} ms, shop ${datasetMs.toFixed(0)} ms, model ${loadMs.toFixed(0)} ms (ranker: ${model.hasRanker})`);
  const items = dataset.numItems;
  const out = { engine, engineMs, datasetMs, loadMs, ranker: model.hasRanker, items, runs: [] };
  let seed = 1;
  const rand = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
  for (const kind of kinds) {
    t0 = performance.now();
    const rec = rs.createRecommender({ model, dataset, index: kind });
    const buildMs = performance.now() - t0;
    for (const scene of ['default', 'home_page']) {
      const session = rec.createSession();
      const lat = [];
      let ts = 1_700_000_000;
      for (let e = 0; e < events + 10; e++) {
        const itemId = `item_${1 + Math.floor(rand() * items)}`;
        const t = performance.now();
        session.track({ itemId, event: rand() < 0.8 ? 'view' : 'click', timestamp: ts++ });
        const recs = rec.recommend({ session, scene, k: 10 });
        const ms = performance.now() - t;
        if (recs.length !== 10) throw new Error(`expected 10 recommendations, got ${recs.length}`);
        if (e >= 10) lat.push(ms);  // the first 10 are the warm-up
      }
      session.dispose();
      out.runs.push({ kind, scene, buildMs, events, p50: pct(lat, 0.5), p95: pct(lat, 0.95), max: Math.max(...lat) });
      log(`${kind} ${scene}: p50 ${pct(lat, 0.5).toFixed(2)} ms, p95 ${pct(lat, 0.95).toFixed(2)} ms`);
    }
    rec.dispose();
  }
  model.dispose();
  dataset.dispose();
  return out;
};
window.benchReady = true;
log('ready');
