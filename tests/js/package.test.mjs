// The npm package: `npm pack` makes a tarball that a throw-away project installs and uses from Node.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

test('the packed tarball installs into a fresh project and works from Node', () => {
  const dir = mkdtempSync(join(tmpdir(), 'recsys-pack-'));
  try {
    const out = execFileSync('npm', ['pack', '--json', '--pack-destination', dir], { cwd: root, encoding: 'utf8' });
    const [info] = JSON.parse(out);
    const files = info.files.map((f) => f.path).sort();
    assert.deepEqual(files, ['README.md', 'build-wasm/dist/api.mjs', 'build-wasm/dist/index.d.mts', 'build-wasm/dist/index.mjs',
      'build-wasm/dist/index.node.mjs', 'build-wasm/dist/recsys-mt.mjs', 'build-wasm/dist/recsys-mt.wasm',
      'build-wasm/dist/recsys-mt.worker.js', 'build-wasm/dist/recsys-serve.mjs', 'build-wasm/dist/recsys-serve.wasm',
      'build-wasm/dist/recsys.mjs', 'build-wasm/dist/recsys.wasm', 'build-wasm/dist/relaxed-i8.mjs', 'build-wasm/dist/serve.d.mts',
      'build-wasm/dist/serve.mjs', 'build-wasm/dist/serve.node.mjs', 'package.json']);
    const project = join(dir, 'app');
    execFileSync('mkdir', ['-p', project]);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
    const tarball = join(dir, readdirSync(dir).find((f) => f.endsWith('.tgz')));
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--offline', tarball], { cwd: project, encoding: 'utf8' });
    writeFileSync(join(project, 'main.mjs'), `
      import { createRecsys } from 'recsys-wasm';
      const rs = await createRecsys();
      const shop = rs.generateShop({ users: 200, items: 100, interactions: 2000 });
      const trainer = rs.createTrainer(shop, { epochs: 1 });
      await trainer.train();
      const rec = rs.createRecommender({ model: trainer.model, dataset: shop });
      // The serving engine loads what the full one saved.
      const serve = await createRecsys({ engine: 'serve' });
      const model = await serve.loadModel(trainer.model.toFiles());
      const data = serve.loadDataset({ catalog: shop.catalogCsv(), interactions: shop.interactionsCsv() });
      const served = serve.createRecommender({ model, dataset: data }).recommend({ userId: 'user_1', k: 3 });
      // recsys-wasm/serve: the serving engine alone, the same lists.
      const { createRecsys: createServe } = await import('recsys-wasm/serve');
      const alone = await createServe();
      const m2 = await alone.loadModel(trainer.model.toFiles());
      const d2 = alone.loadDataset({ catalog: shop.catalogCsv(), interactions: shop.interactionsCsv() });
      if (JSON.stringify(alone.createRecommender({ model: m2, dataset: d2 }).recommend({ userId: 'user_1', k: 3 })) !== JSON.stringify(served)) throw new Error('serve entry differs');
      if (alone.engine !== 'serve') throw new Error('not the serving engine');
      console.log(JSON.stringify({ version: rs.version, users: shop.stats().users, recs: rec.recommend({ userId: 'user_1', k: 3 }).length,
        engine: serve.engine, same: JSON.stringify(served) === JSON.stringify(rec.recommend({ userId: 'user_1', k: 3 })) }));
    `);
    const result = JSON.parse(execFileSync(process.execPath, ['main.mjs'], { cwd: project, encoding: 'utf8' }));
    assert.deepEqual(result, { version: '0.1.0', users: 200, recs: 3, engine: 'serve', same: true });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
