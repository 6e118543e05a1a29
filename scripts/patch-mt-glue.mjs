// Post-link step of the pthread build (CMakeLists.txt): Emscripten's glue starts its thread
// Workers with `new Worker(new URL("recsys-mt.worker.js", import.meta.url))`, which bundlers such as
// Vite take for a module Worker to bundle (and fail on, or bundle as a module: the file is a classic
// script). Written as `new Worker((0, new URL(…)))`, the URL stays an asset that the bundler copies
// and the Worker is started as Emscripten starts it. Fails if the pattern is not found.
import { readFileSync, writeFileSync } from 'node:fs';

const file = process.argv[2];
const text = readFileSync(file, 'utf8');
const re = /new Worker\(new URL\(("[^"]+\.worker\.js"),import\.meta\.url\)\)/g;
const n = (text.match(re) ?? []).length;
if (n === 0 && !text.includes('new Worker((0,new URL(')) {
  console.error(`${file}: no Worker URL to rewrite (did the Emscripten glue change?)`);
  process.exit(1);
}
writeFileSync(file, text.replace(re, 'new Worker((0,new URL($1,import.meta.url)))'));
