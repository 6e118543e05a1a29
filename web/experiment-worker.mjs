// Module Worker of the Experiment page: the full engine, the default synthetic shop (with its
// hidden truth) and the demo model; runs the experiment step by step and posts each report, so
// the page never waits. Messages in: {type: 'start', config} | {type: 'stop'}. Out: ready,
// report, done, error.
import { createRecsys } from '../dist/index.mjs';

let stopRequested = false;
const ready = (async () => {
  const rs = await createRecsys();
  const shop = rs.generateShop();  // the shop the demo model was trained on
  const model = await rs.loadModel({ weights: new URL('../demo/model/model.safetensors', import.meta.url),
    manifest: new URL('../demo/model/manifest.json', import.meta.url) });
  return { rs, shop, model };
})();

self.onmessage = async ({ data: msg }) => {
  if (msg.type === 'stop') {
    stopRequested = true;
    return;
  }
  if (msg.type !== 'start') return;
  stopRequested = false;
  let exp;
  try {
    const { rs, shop, model } = await ready;
    exp = rs.createExperiment({ model, dataset: shop, config: msg.config });
    const t0 = performance.now();
    let report = exp.report();
    while (!exp.done && !stopRequested) {
      report = exp.step(msg.stepSessions ?? 200);
      self.postMessage({ type: 'report', report, seconds: (performance.now() - t0) / 1000 });
      await new Promise((resolve) => setTimeout(resolve, 0));  // let a stop message in
    }
    self.postMessage({ type: 'done', report, stopped: stopRequested, seconds: (performance.now() - t0) / 1000 });
  } catch (e) {
    self.postMessage({ type: 'error', name: e?.name ?? 'Error', message: String(e?.message ?? e) });
  } finally {
    exp?.dispose();
  }
};
