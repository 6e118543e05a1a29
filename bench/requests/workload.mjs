// The request-path micro-benchmark, shared by Node (index.mjs) and Chromium (page.mjs): 10,000 warm
// recommend() calls on the default demo shop and model, with the result cache off (every call runs
// the whole path: sources, ranker, diversity, the list across the seam) and on (every call is a
// hit: the seam and the cache). Each engine under test (the current build, and an earlier build
// when given) runs in rounds that alternate between them, so that both see the same machine.

// 100 distinct requests: known users on the default scene, the home page and product pages.
export function requests(numUsers = 10000, numItems = 5000) {
  const out = [];
  for (let i = 0; i < 100; i++) {
    const user = `user_${1 + ((i * 97) % numUsers)}`;
    if (i % 5 < 3) out.push({ userId: user, k: 10 });
    else if (i % 5 === 3) out.push({ userId: user, scene: 'home_page', k: 10 });
    else out.push({ scene: 'product_page', itemId: `item_${1 + ((i * 131) % numItems)}`, k: 10 });
  }
  return out;
}

const median = (a) => { const s = [...a].sort((x, y) => x - y); return s[Math.floor(s.length / 2)]; };

/**
 * engines: [{ label, createRecsys }]; data: { catalog, interactions (CSV text), weights (bytes),
 * manifest (text) }. Returns per engine and cache setting the median µs per call over the rounds.
 */
export async function measure(engines, data, { calls = 10000, rounds = 5, warmup = 1000, now = () => performance.now() } = {}) {
  const setups = [];
  for (const e of engines) {
    const rs = await e.createRecsys({ engine: 'serve' });
    const model = await rs.loadModel({ weights: data.weights, manifest: data.manifest });
    const dataset = rs.loadDataset({ catalog: data.catalog, interactions: data.interactions });
    setups.push({ ...e, rs, model, dataset });
  }
  const reqs = requests(setups[0].dataset.numUsers, setups[0].dataset.numItems);
  const out = {};
  for (const cache of ['off', 'on']) {
    const recs = setups.map((s) => s.rs.createRecommender({ model: s.model, dataset: s.dataset, cacheCapacity: cache === 'on' ? 256 : 0 }));
    // Both builds must serve the same lists (the refactoring keeps every behaviour).
    for (const r of reqs.slice(0, 20)) {
      const lists = recs.map((rec) => rec.recommend(r).map((x) => x.id).join(','));
      if (lists.some((l) => l !== lists[0])) throw new Error(`engines disagree on ${JSON.stringify(r)}`);
    }
    for (const rec of recs) for (let i = 0; i < warmup; i++) rec.recommend(reqs[i % reqs.length]);
    const times = recs.map(() => []);
    const per = Math.ceil(calls / rounds);
    for (let round = 0; round < rounds; round++) {
      recs.forEach((rec, j) => {
        const t0 = now();
        for (let i = 0; i < per; i++) rec.recommend(reqs[i % reqs.length]);
        times[j].push(((now() - t0) * 1000) / per);
      });
    }
    out[cache] = Object.fromEntries(setups.map((s, j) => [s.label, { usPerCall: median(times[j]), rounds: times[j], calls: per * rounds }]));
    if (cache === 'on') {
      for (const [j, rec] of recs.entries()) {
        const st = rec.stats();
        out[cache][setups[j].label].hitRatio = st.cacheHitRatio;
      }
    }
    recs.forEach((r) => r.dispose());
  }
  for (const s of setups) { s.model.dispose(); s.dataset.dispose(); }
  return out;
}
