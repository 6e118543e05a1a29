// Module Worker of the Train page: trains step by step and reports progress, so the page never
// freezes. createRecsys({ threads: 'auto' }) picks the pthread engine when the page is cross-origin isolated (the
// demo server's headers), so training uses every core; the start message says which engine runs. Messages in: {type: 'start', options} | {type: 'stop'}. Out: progress, epoch, done, error.
import { createRecsys } from '../dist/index.mjs';

const ready = createRecsys({ threads: 'auto' });
let stopRequested = false;

async function dataset(rs, name) {
  if (name === 'synthetic') return rs.generateShop();
  const [items, baskets] = await Promise.all(['items.csv', 'baskets.csv'].map(async (f) => {
    const r = await fetch(new URL(`../data/online_retail/${f}`, import.meta.url));
    if (!r.ok) throw new Error(`data/online_retail/${f}: HTTP ${r.status}`);
    return r.text();
  }));
  return rs.loadOnlineRetail({ items, baskets });
}

self.onmessage = async ({ data: msg }) => {
  if (msg.type === 'stop') {
    stopRequested = true;
    return;
  }
  if (msg.type !== 'start') return;
  stopRequested = false;
  let shop, trainer, model;
  try {
    const rs = await ready;
    const o = msg.options;
    shop = await dataset(rs, o.dataset);
    trainer = rs.createTrainer(shop, { preset: o.preset, epochs: o.epochs, batchSize: o.batchSize, learningRate: o.learningRate, patience: 0 });
    self.postMessage({ type: 'start', stepsPerEpoch: trainer.stepsPerEpoch, epochs: o.epochs, popularityRecall: trainer.popularityRecall,
      examplesPerEpoch: trainer.examplesPerEpoch, threads: rs.threads });
    const controller = new AbortController();
    await trainer.train({
      sliceSteps: 10,
      signal: controller.signal,
      onProgress: (r) => {
        self.postMessage({ type: 'progress', report: r });
        if (stopRequested) controller.abort(new Error('stopped'));
      },
    }).catch((e) => { if (e.message !== 'stopped') throw e; });
    model = trainer.model;
    const files = model.toFiles({ training: { dataset: o.dataset, epochs: trainer.history.length } });
    self.postMessage({ type: 'done', stopped: stopRequested, history: trainer.history, files }, [files.weights.buffer]);
  } catch (e) {
    self.postMessage({ type: 'error', name: e?.name ?? 'Error', message: String(e?.message ?? e) });
  } finally {
    model?.dispose();
    trainer?.dispose();
    shop?.dispose();
  }
};
