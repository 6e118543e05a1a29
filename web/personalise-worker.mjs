// The Recommend page's on-device fine-tuning, off the main thread: the same model (the serving
// engine), model.personalise() on the visitor's items; the page applies the adapter it returns.
import { createRecsys } from '../dist/index.mjs';

const engine = createRecsys({ engine: 'serve' });
let current = { key: null, model: null };
let queue = Promise.resolve();

async function fit({ id, key, files, userId, history, steps, learningRate }) {
  try {
    const rs = await engine;
    if (key !== current.key) {
      current.model?.dispose();
      current = { key: null, model: null };
      current = { key, model: await rs.loadModel(files) };
    }
    const t = performance.now();
    const r = current.model.personalise({ userId: userId ?? undefined, history, steps, learningRate });
    self.postMessage({ id, adapter: r.adapter, losses: r.losses, ms: performance.now() - t });
  } catch (e) {
    self.postMessage({ id, error: `${e.name}: ${e.message}` });
  }
}

// Set at once (a message that arrives before a handler exists is lost); one fit at a time.
self.onmessage = ({ data }) => { queue = queue.then(() => fit(data)); };
