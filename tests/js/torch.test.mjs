// The PyTorch contract in wasm: a model trained by tools/torch/train_ddp.py (PyTorch,
// DistributedDataParallel on 2 processes) loads into both engines and serves PyTorch's own top-10
// (tests/golden/torch_v1/expected.json), the same items in the same order, each score within 1e-5.
// `npm run test:torch` sets RECSYS_TORCH_MODEL to a fresh export and runs this again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRecsys } from 'recsys-wasm';

const dir = process.env.RECSYS_TORCH_MODEL || fileURLToPath(new URL('../golden/torch_v1/', import.meta.url));
const files = () => ({ weights: readFileSync(join(dir, 'model.safetensors')), manifest: readFileSync(join(dir, 'manifest.json'), 'utf8') });
const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8'));

for (const engine of ['full', 'serve']) {
  test(`the ${engine} engine serves PyTorch's top-10 for the PyTorch-trained model (${dir})`, async () => {
    const rs = await createRecsys({ engine });
    const model = await rs.loadModel(files());
    let checked = 0;
    for (const q of expected.queries) {
      const got = model.recommend({ userId: q.user ?? undefined, history: q.history, k: 10 });
      assert.deepEqual(got.map((r) => r.id), q.top.map((r) => r.item), `query ${JSON.stringify({ user: q.user, history: q.history })}`);
      got.forEach((r, i) => {
        assert.ok(Math.abs(r.score - q.top[i].score) <= 1e-5, `${r.id}: ${r.score} against PyTorch's ${q.top[i].score}`);
        checked += 1;
      });
    }
    assert.equal(checked, 10 * expected.queries.length);
    model.dispose();
  });
}
