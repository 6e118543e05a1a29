// Node side of `npm run bench -- train`: the seed workload on the wasm module in Node. Prints JSON.
import { createRecsys } from '../../build-wasm/dist/index.mjs';

const epochs = Number(process.argv[2] ?? 3);
const rs = await createRecsys();
const shop = rs.generateShop();
const trainer = rs.createTrainer(shop, { preset: 'seed', split: 'none', epochs, patience: 0 });
const report = [];
let heapPeak = 0;
while (!trainer.done) {
  const t0 = performance.now();
  let steps = 0, lossSum = 0, finished = null;
  while (!finished) {
    const r = trainer.step(50);
    lossSum += r.meanLoss * r.steps;
    steps += r.steps;
    if (r.finishedEpochs.length) finished = r.finishedEpochs[0];
    heapPeak = Math.max(heapPeak, rs.memoryUsage().heapBytes);
  }
  report.push({ epoch: finished.epoch, meanLoss: lossSum / steps, seconds: (performance.now() - t0) / 1000, examples: finished.examples });
}
console.log(JSON.stringify({ epochs: report, wasmHeapBytes: heapPeak, rssBytes: process.memoryUsage().rss }));
