// npm run bench -- size: the download of each engine — .wasm, JS glue and wrapper, raw and gzip -9 —
// against TensorFlow.js + its wasm backend (the peer a page would load instead), and where the
// bytes of each .wasm go (sections, code by origin: scripts/wasm-size.mjs). Writes
// bench/results/size.json.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { analyse } from '../../scripts/wasm-size.mjs';
import { fmt, machine, root, writeResult } from '../lib.mjs';

const dist = join(root, 'build-wasm', 'dist');
const sizeOf = (file) => {
  const b = readFileSync(file);
  return { bytes: b.length, gzipBytes: gzipSync(b, { level: 9 }).length };
};

export async function run() {
  const engines = {};
  for (const [name, base, entry] of [['full', 'recsys', 'index.mjs'], ['serving', 'recsys-serve', 'serve.mjs']]) {
    const wasm = analyse(join(dist, `${base}.wasm`));
    engines[name] = {
      wasm: { bytes: wasm.bytes, gzipBytes: wasm.gzipBytes },
      glue: sizeOf(join(dist, `${base}.mjs`)),
      wrapper: sizeOf(join(dist, 'api.mjs')),
      entry: sizeOf(join(dist, entry)),
      sections: wasm.sections,
      codeByOrigin: wasm.groups.slice(0, 12),
      largestFunctions: wasm.functions.slice(0, 15),
    };
    engines[name].totalGzipBytes = ['wasm', 'glue', 'wrapper', 'entry'].reduce((s, k) => s + engines[name][k].gzipBytes, 0);
  }
  const tfDir = join(root, 'node_modules', '@tensorflow');
  const tfjs = {
    core: sizeOf(join(tfDir, 'tfjs', 'dist', 'tf.min.js')),
    backend: sizeOf(join(tfDir, 'tfjs-backend-wasm', 'dist', 'tf-backend-wasm.min.js')),
    wasm: sizeOf(join(tfDir, 'tfjs-backend-wasm', 'dist', 'tfjs-backend-wasm-simd.wasm')),
  };
  tfjs.totalGzipBytes = tfjs.core.gzipBytes + tfjs.backend.gzipBytes + tfjs.wasm.gzipBytes;
  const targets = {
    'serving engine .wasm <= 150 KB gzipped': engines.serving.wasm.gzipBytes <= 150 * 1024,
    'full engine .wasm <= 250 KB gzipped': engines.full.wasm.gzipBytes <= 250 * 1024,
  };
  const ratios = { fullVsTfjs: engines.full.totalGzipBytes / tfjs.totalGzipBytes, servingVsTfjs: engines.serving.totalGzipBytes / tfjs.totalGzipBytes };
  const out = { benchmark: 'size', date: new Date().toISOString(), machine: machine(), engines, tfjs, ratios, targets };
  const file = writeResult('size', out);
  const kb = (x) => fmt(x / 1024, 1);
  for (const [name, e] of Object.entries(engines)) {
    console.log(`\n${name} engine: .wasm ${kb(e.wasm.gzipBytes)} KB gz (${kb(e.wasm.bytes)} raw), glue ${kb(e.glue.gzipBytes)}, wrapper ${kb(e.wrapper.gzipBytes)}, entry ${kb(e.entry.gzipBytes)}: ${kb(e.totalGzipBytes)} KB gz in all`);
    console.log(`  sections: ${e.sections.map((s) => `${s.name} ${kb(s.bytes)}`).join(', ')} KB`);
    console.log('  code by origin (KB raw / gz alone):');
    for (const g of e.codeByOrigin) console.log(`    ${g.group.padEnd(28)} ${kb(g.bytes).padStart(7)} / ${kb(g.gzipBytes).padStart(6)}`);
  }
  console.log(`\nTF.js 4.22 + wasm backend: ${kb(tfjs.totalGzipBytes)} KB gz; full engine / TF.js = ${fmt(ratios.fullVsTfjs, 2)}x, serving / TF.js = ${fmt(ratios.servingVsTfjs, 2)}x`);
  for (const [k, v] of Object.entries(targets)) console.log(`  ${v ? 'met ' : 'MISS'}  ${k}`);
  console.log(`wrote ${file}`);
  return out;
}
