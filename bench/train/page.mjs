// Browser side of `npm run bench -- train`: the same seed workload on recsys-wasm and on
// TensorFlow.js (wasm and cpu backends), in the same Chromium. Driven by bench/train/index.mjs.
import { createRecsys } from '/dist/index.mjs';
import { trainTfjsSeed } from './tfjs-seed.mjs';
import { trainTimed } from './engine-loop.mjs';

const log = (s) => { document.getElementById('log').textContent += `\n${s}`; console.log(s); };

async function workload(threads = 1) {
  const rs = await createRecsys({ threads });
  const shop = rs.generateShop();  // 10,000 users, 5,000 items, 100,000 interactions
  return { rs, shop };
}

async function runEngine({ epochs = 3, preset = 'seed', threads = 1 } = {}) {
  const { rs, shop } = await workload(threads);
  log(`engine: ${rs.threads} thread${rs.threads > 1 ? 's' : ''}`);
  const trainer = rs.createTrainer(shop, { preset, split: 'none', epochs, patience: 0 });
  const out = trainTimed(rs, trainer, (e) => log(`engine epoch ${e.epoch}: loss ${e.meanLoss.toFixed(4)}, ${Math.round(e.examples / e.seconds)} examples/s`));
  trainer.dispose();
  shop.dispose();
  return { ...out, threads: rs.threads };
}

async function runTfjs({ backend, epochs = 3, threads = 1, maxSteps = Infinity, embeddingGradient = 'scatter' } = {}) {
  const { shop } = await workload();
  const { interactions, items } = shop.arrays();
  const n = interactions.user.length;
  const data = {
    user: interactions.user, category: new Int32Array(n), brand: new Int32Array(n), price: new Float32Array(n),
    nUsers: shop.numUsers, nCategories: shop.stats().categories, nBrands: shop.stats().brands,
  };
  for (let k = 0; k < n; k++) {
    const i = interactions.item[k];
    data.category[k] = items.category[i];
    data.brand[k] = items.brand[i];
    data.price[k] = items.price[i];
  }
  shop.dispose();
  const tf = globalThis.tf;
  if (backend === 'wasm') {
    tf.wasm.setWasmPaths('/node_modules/@tensorflow/tfjs-backend-wasm/dist/');
    tf.wasm.setThreadsCount(threads);
  }
  await tf.setBackend(backend);
  await tf.ready();
  const features = { backend: tf.getBackend(), simd: await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'),
    threads: backend === 'wasm' ? tf.wasm.getThreadsCount() : 1, version: tf.version.tfjs };
  log(`tfjs ${JSON.stringify(features)}`);
  const r = await trainTfjsSeed(tf, data, { epochs, maxSteps, embeddingGradient, onStep: (k, ms) => { if (k % 50 === 0) log(`step ${k}: ${(ms / k).toFixed(1)} ms/step`); }, onEpoch: (e) => log(`tfjs-${backend} epoch ${e.epoch}: loss ${e.meanLoss.toFixed(4)}, ${Math.round(e.examples / e.seconds)} examples/s`) });
  let wasmHeapBytes = null;
  try { wasmHeapBytes = tf.backend().wasm?.HEAPU8?.buffer.byteLength ?? null; } catch { /* not exposed */ }
  return { ...r, features, wasmHeapBytes };
}

window.runBench = async (which, options = {}) => {
  const jsHeap = () => performance.memory?.usedJSHeapSize ?? null;
  const out = which === 'engine' ? await runEngine(options) : await runTfjs({ backend: which, ...options });
  out.usedJsHeapBytes = jsHeap();
  return out;
};
window.benchReady = true;
log('ready');
