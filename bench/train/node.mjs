// Node side of `npm run bench -- train`: the seed workload on the wasm module in Node. Prints JSON.
import { createRecsys } from '../../build-wasm/dist/index.node.mjs';
import { trainTimed } from './engine-loop.mjs';

const epochs = Number(process.argv[2] ?? 3);
const rs = await createRecsys();
const shop = rs.generateShop();
const trainer = rs.createTrainer(shop, { preset: 'seed', split: 'none', epochs, patience: 0 });
const { epochs: report, wasmHeapBytes: heapPeak } = trainTimed(rs, trainer);
console.log(JSON.stringify({ epochs: report, wasmHeapBytes: heapPeak, rssBytes: process.memoryUsage().rss }));
