// The core's folders import only downward (README "Layout"): a folder may include itself and the
// folders listed for it, never one above it. Emscripten appears only in wasm/bindings.cpp.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';

const core = new URL('../../core/', import.meta.url);
const BELOW = {
  common: [],
  data: ['common'],
  features: ['common'],
  nn: ['common'],
  retrieval: ['common', 'data', 'features', 'nn'],
  ranking: ['common', 'data', 'features', 'nn', 'retrieval'],
  strategy: ['common', 'data', 'features', 'nn', 'retrieval', 'ranking'],
  serving: ['common', 'data', 'features', 'nn', 'retrieval', 'ranking', 'strategy'],
  eval: ['common', 'data', 'features', 'nn', 'retrieval', 'ranking', 'strategy', 'serving'],
  io: ['common', 'data', 'features', 'nn', 'retrieval', 'ranking', 'strategy', 'serving'],
  experiment: ['common', 'data', 'features', 'nn', 'retrieval', 'ranking', 'strategy', 'serving'],
  cli: ['common', 'data', 'features', 'nn', 'retrieval', 'ranking', 'strategy', 'serving', 'eval', 'io', 'experiment'],
};

test('core folders include only the folders below them, and no Emscripten header', () => {
  const folders = readdirSync(core, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  assert.deepEqual(folders, Object.keys(BELOW).sort());
  const wrong = [];
  for (const folder of folders) {
    for (const file of readdirSync(new URL(`${folder}/`, core))) {
      const text = readFileSync(new URL(`${folder}/${file}`, core), 'utf8');
      if (text.includes('emscripten')) wrong.push(`${folder}/${file} mentions emscripten`);
      for (const [, dep] of text.matchAll(/#include "([a-z_]+)\//g)) {
        if (dep !== folder && !BELOW[folder].includes(dep)) wrong.push(`${folder}/${file} includes ${dep}/`);
      }
    }
  }
  assert.deepEqual(wrong, []);
});
