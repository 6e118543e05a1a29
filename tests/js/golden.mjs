// The golden model of tests/golden/two_tower_v1 (format version 1): its files, and the check that
// a loaded copy scores every recorded query as the native build did (expected.json).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

export const golden = new URL('../golden/two_tower_v1/', import.meta.url);
export const goldenFiles = () => ({ weights: new URL('model.safetensors', golden), manifest: new URL('manifest.json', golden) });

export function assertScoresLikeNative(model) {
  const expected = JSON.parse(readFileSync(new URL('expected.json', golden), 'utf8'));
  for (const q of expected.queries) {
    const got = model.recommend({ userId: q.user ?? undefined, history: q.history, k: 5 });
    assert.deepEqual(got.map((r) => r.id), q.top.map((r) => r.item));
    got.forEach((r, i) => assert.ok(Math.abs(r.score - q.top[i].score) < 1e-5));
  }
}
