// Module Worker: loads the engine and builds datasets off the main thread, so the page never
// freezes. Messages: {id, kind: 'synthetic', config} or {id, kind: 'online-retail'}.
import { createRecsys } from '../dist/index.mjs';

const ready = createRecsys({ threads: 1 });  // generating a shop gains nothing from threads

self.onmessage = async ({ data: msg }) => {
  const t0 = performance.now();
  let dataset;
  try {
    const rs = await ready;
    if (msg.kind === 'synthetic') {
      dataset = rs.generateShop(msg.config);
    } else if (msg.kind === 'online-retail') {
      const [items, baskets] = await Promise.all(
        ['items.csv', 'baskets.csv'].map(async (f) => {
          const r = await fetch(new URL(`../data/online_retail/${f}`, import.meta.url));
          if (!r.ok) throw new Error(`data/online_retail/${f}: HTTP ${r.status}`);
          return r.text();
        }));
      dataset = rs.loadOnlineRetail({ items, baskets });
    } else {
      throw new Error(`unknown request kind ${msg.kind}`);
    }
    const ms = performance.now() - t0;
    self.postMessage({ id: msg.id, ok: true, ms, version: rs.version, stats: dataset.stats(),
      items: dataset.items({ offset: 0, limit: 12 }) });
  } catch (e) {
    self.postMessage({ id: msg.id, ok: false, error: String(e?.message ?? e), name: e?.name ?? 'Error' });
  } finally {
    dataset?.dispose();
  }
};
