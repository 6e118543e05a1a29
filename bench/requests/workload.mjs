// The request-path micro-benchmark, shared by Node (index.mjs) and Chromium (page.mjs): 10,000 warm
// recommend() calls (100,000 for cache hits) on the default demo shop and model, with the result cache off (every call runs
// the whole path: sources, ranker, diversity, the list across the seam) and on (every call is a
// hit: the seam and the cache). Each engine under test (the current build, and an earlier build
// when given) runs in rounds that alternate between them, each build first in every other round,
// so that both see the same machine.

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

// The median (of an even count, the mean of the two middle values).
const median = (a) => {
  const s = [...a].sort((x, y) => x - y);
  const h = Math.floor(s.length / 2);
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
};

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
    // A cache hit costs about 1 % of a computed list: ten times the calls, so that a round lasts
    // long enough to be timed; each round alternates which build goes first.
    const per = Math.ceil((cache === 'on' ? 10 * calls : calls) / rounds);
    for (let round = 0; round < rounds; round++) {
      const order = recs.map((_, j) => j);
      if (round % 2) order.reverse();
      for (const j of order) {
        const t0 = now();
        for (let i = 0; i < per; i++) recs[j].recommend(reqs[i % reqs.length]);
        times[j].push(((now() - t0) * 1000) / per);
      }
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

/**
 * The engines' lists for n seeded random requests (scenes, users, products, λ, price filters,
 * sessions of up to 6 events): how many differ in ids, in sources (each source counted once; the
 * build before the typed seam could list one twice) or in any score by more than 1e-6.
 */
export async function compareLists(engines, data, n = 300) {
  const setups = [];
  for (const e of engines) {
    const rs = await e.createRecsys({ engine: 'serve' });
    const model = await rs.loadModel({ weights: data.weights, manifest: data.manifest });
    const dataset = rs.loadDataset({ catalog: data.catalog, interactions: data.interactions });
    setups.push({ rec: rs.createRecommender({ model, dataset }), model, dataset, users: dataset.numUsers, items: dataset.numItems });
  }
  let seed = 7;
  const rnd = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
  const pick = (m) => 1 + Math.floor(rnd() * m);
  const scenes = ['default', 'home_page', 'cart_page', 'product_page'];
  const events = ['view', 'click', 'add_to_cart', 'purchase'];
  const once = (s) => [...new Set(s.split('+'))].join('+');
  const out = { requests: n, ids: 0, sources: 0, scores: 0 };
  for (let t = 0; t < n; t++) {
    const req = { scene: scenes[Math.floor(rnd() * 4)], k: pick(20) };
    if (rnd() < 0.6) req.userId = `user_${pick(setups[0].users)}`;
    if (req.scene === 'product_page' && rnd() < 0.7) req.itemId = `item_${pick(setups[0].items)}`;
    if (rnd() < 0.3) req.diversity = Math.round(rnd() * 10) / 10;
    if (rnd() < 0.2) req.filters = { priceMin: 10, priceMax: 80 };
    const evs = [];
    if (rnd() < 0.5) for (let e = 0, m = pick(6); e < m; e++) evs.push({ itemId: `item_${pick(setups[0].items)}`, event: events[Math.floor(rnd() * 4)], timestamp: 100 + e });
    const lists = setups.map(({ rec }) => {
      const session = evs.length ? rec.createSession({ userId: req.userId }) : undefined;
      for (const e of evs) session.track(e);
      const list = rec.recommend({ ...req, session });
      session?.dispose();
      return list;
    });
    const [a, b] = lists;
    if (a.map((x) => x.id).join() !== b.map((x) => x.id).join()) { out.ids++; continue; }
    if (a.some((x, i) => once(x.explanation.source) !== once(b[i].explanation.source))) out.sources++;
    const keys = ['score', 'retrievalScore', 'relevance', 'diversityAdjustment', 'finalScore', 'pClick', 'pPurchase'];
    if (a.some((x, i) => keys.some((k) => Math.abs((x[k] ?? x.explanation[k] ?? 0) - (b[i][k] ?? b[i].explanation[k] ?? 0)) > 1e-6))) out.scores++;
  }
  for (const s of setups) { s.rec.dispose(); s.model.dispose(); s.dataset.dispose(); }
  return out;
}
