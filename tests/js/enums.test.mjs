// The .d.mts unions (scenes, events, index kinds, sources, error kinds) list exactly what the C++
// core accepts (recsys.enums comes from the core's lists).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRecsys } from 'recsys-wasm';

const dts = readFileSync(new URL('../../wasm/index.d.mts', import.meta.url), 'utf8');

function union(name) {
  const m = dts.match(new RegExp(`export type ${name} = ([^;]+);`));
  assert.ok(m, `index.d.mts declares ${name}`);
  return m[1].split('|').map((s) => s.trim().replace(/^'|'$/g, ''));
}

test('the .d.mts enums and the C++ lists agree', async () => {
  for (const engine of ['full', 'serve']) {
    const rs = await createRecsys({ engine });
    const e = rs.enums;
    assert.deepEqual(union('Scene'), [...e.scenes]);
    assert.deepEqual(union('EventKind'), [...e.events]);
    assert.deepEqual(union('IndexKind'), [...e.indexKinds]);
    assert.deepEqual(union('SourceKind'), [...e.sources]);
    assert.deepEqual(union('ErrorKind'), [...e.errorKinds]);
    assert.ok(Object.isFrozen(e) && Object.isFrozen(e.scenes));
  }
});
