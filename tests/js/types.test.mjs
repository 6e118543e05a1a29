// The TypeScript declarations: tests/types/api.ts (every part of the API, and misuses marked
// @ts-expect-error) must type-check under --strict; and every class, method and getter that the
// module exports at run time must be declared.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as api from 'recsys-wasm';

test('tests/types/api.ts type-checks against the declarations with tsc --strict', () => {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const project = new URL('../types/tsconfig.json', import.meta.url).pathname;
  try {
    execFileSync(process.execPath, [tsc, '-p', project], { encoding: 'utf8' });
  } catch (e) {
    assert.fail(`tsc reported:\n${e.stdout}${e.stderr}`);
  }
});

test('every exported class, method and getter is declared in index.d.mts', () => {
  const dts = readFileSync(new URL('../../wasm/index.d.mts', import.meta.url), 'utf8');
  const handle = dts.slice(dts.indexOf('declare class Handle'), dts.indexOf('\n}\n', dts.indexOf('declare class Handle')));
  const missing = [];
  for (const [name, value] of Object.entries(api)) {
    if (name === 'default') continue;
    if (!new RegExp(`export (declare )?(class|function) ${name}\\b`).test(dts)) missing.push(name);
    if (typeof value !== 'function' || !value.prototype) continue;
    const body = dts.slice(dts.search(new RegExp(`export (declare )?class ${name}\\b`)));
    const block = body.slice(0, body.indexOf('\n}\n'));
    for (const member of [...Object.getOwnPropertyNames(value.prototype), ...Object.getOwnPropertyNames(value)]) {
      if (['constructor', 'length', 'name', 'prototype'].includes(member) || member.startsWith('_')) continue;
      const declared = (text) => new RegExp(`\\b${member}\\b[?]?[(:<]`).test(text);
      if (!declared(block) && !declared(handle)) missing.push(`${name}.${member}`);
    }
  }
  assert.deepEqual(missing, []);
});
