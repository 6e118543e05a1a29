// npm run test:torch — the PyTorch contract end to end, where Debian's python3-torch is installed
// (npm test checks the committed export, tests/golden/torch_v1, without it):
//   1. PyTorch trains the default preset with DistributedDataParallel (gloo, 2 processes) on a
//      generated shop and writes model.safetensors + manifest.json (tools/torch/train_ddp.py);
//   2. the project's reader finds every tensor as PyTorch held it, and the native build and both
//      wasm engines serve PyTorch's own top-10 (same items, same order, scores within 1e-5);
//   3. the other way: a model trained by the project scores the same in PyTorch, and PyTorch
//      fine-tunes it (DDP again) into a file that the project serves as PyTorch scores it;
//   4. the committed golden export still scores as recorded, in PyTorch.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, fail, log, root, run, setup } from './lib.mjs';

const python = '/usr/bin/python3';  // Debian's: python3-torch installs there, not in a pyenv
const probe = spawnSync(python, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
if (probe.status !== 0) {
  fail('npm run test:torch needs PyTorch under /usr/bin/python3: apt-get install python3-torch ' +
       '(npm test checks the committed export without it)');
}
log(`PyTorch ${probe.stdout.trim()} (${python})`);
setup();
build({ native: true, wasm: true });

// The golden export's shop and model size (tests/golden/torch_v1/README.md).
const config = JSON.stringify({ user_id_dim: 8, item_id_dim: 8, category_dim: 4, brand_dim: 4, price_bucket_dim: 2, price_buckets: 4, hidden: [16], output_dim: 8, user_buckets: 64, batch_size: 32 });
const queries = join(root, 'tools/torch/queries.json');
const tmp = mkdtempSync(join(tmpdir(), 'recsys-torch-'));  // left for a look when a step fails
const at = (...p) => join(tmp, ...p);
const cli = join(root, 'build/recsys');
const py = (script, ...args) => run(python, [join(root, 'tools/torch', script), ...args]);

// Same items in the same order, every score within 1e-5; returns the largest difference.
function compareTops(whatA, a, whatB, b) {
  const qa = JSON.parse(readFileSync(a, 'utf8')).queries, qb = JSON.parse(readFileSync(b, 'utf8')).queries;
  if (qa.length !== qb.length) fail(`${whatA} has ${qa.length} queries, ${whatB} ${qb.length}`);
  let worst = 0;
  qa.forEach((x, n) => {
    const ia = x.top.map((t) => t.item), ib = qb[n].top.map((t) => t.item);
    if (ia.join() !== ib.join()) fail(`query ${n}: ${whatA} lists ${ia.join(' ')}, ${whatB} ${ib.join(' ')}`);
    x.top.forEach((t, r) => { worst = Math.max(worst, Math.abs(t.score - qb[n].top[r].score)); });
  });
  if (!(worst <= 1e-5)) fail(`${whatA} and ${whatB}: scores differ by up to ${worst}`);
  return worst;
}

// A folder's model checked by the project, natively and in wasm, against its expected.json.
function projectServesAsPyTorch(dir) {
  const env = { ...process.env, RECSYS_TORCH_MODEL: dir };
  run(join(root, 'build/unit_tests'), ['[torch]', '--fixture-dir', join(root, 'build/testdata/fixture')], { env });
  run(process.execPath, ['--test', join(root, 'tests/js/torch.test.mjs')], { env });
}

const t0 = Date.now();
run(cli, ['generate', '--seed', '5', '--users', '200', '--items', '100', '--interactions', '2000', '--out', at('shop')]);

log('1-2. PyTorch DDP (gloo, 2 processes) → project');
py('train_ddp.py', '--data', at('shop'), '--out', at('torch'), '--epochs', '5', '--config', config, '--nproc', '2');
py('score.py', '--model', at('torch'), '--queries', queries, '--out', at('torch', 'expected.json'));
projectServesAsPyTorch(at('torch'));

log('3. project → PyTorch, and fine-tuned by PyTorch DDP from the project\'s model');
run(cli, ['train', '--data', at('shop'), '--epochs', '3', '--patience', '0', '--config', config, '--out', at('project')]);
const { createRecsys } = await import('recsys-wasm');
const rs = await createRecsys();
const model = await rs.loadModel({ weights: readFileSync(at('project', 'model.safetensors')), manifest: readFileSync(at('project', 'manifest.json'), 'utf8') });
const tops = JSON.parse(readFileSync(queries, 'utf8')).queries.map((q) => ({
  ...q, top: model.recommend({ userId: q.user ?? undefined, history: q.history, k: 10 }).map((r) => ({ item: r.id, score: r.score })),
}));
model.dispose();
writeFileSync(at('project-tops.json'), JSON.stringify({ queries: tops }));
py('score.py', '--model', at('project'), '--queries', queries, '--out', at('project-torch-tops.json'));
const d3 = compareTops('the project (wasm)', at('project-tops.json'), 'PyTorch', at('project-torch-tops.json'));
py('train_ddp.py', '--init', at('project'), '--data', at('shop'), '--out', at('finetuned'), '--epochs', '2', '--nproc', '2');
py('score.py', '--model', at('finetuned'), '--queries', queries, '--out', at('finetuned', 'expected.json'));
projectServesAsPyTorch(at('finetuned'));

log('4. the committed exports, scored again in PyTorch');
const golden = join(root, 'tests/golden');
py('score.py', '--model', join(golden, 'torch_v1'), '--queries', join(golden, 'torch_v1/expected.json'), '--out', at('golden-torch.json'));
const d4 = compareTops('tests/golden/torch_v1/expected.json', join(golden, 'torch_v1/expected.json'), 'PyTorch now', at('golden-torch.json'));
py('score.py', '--model', join(golden, 'two_tower_v1'), '--queries', join(golden, 'two_tower_v1/expected.json'), '--k', '5', '--out', at('golden-v1-torch.json'));
const d5 = compareTops('tests/golden/two_tower_v1 (native)', join(golden, 'two_tower_v1/expected.json'), 'PyTorch', at('golden-v1-torch.json'));
log(`test:torch passed in ${((Date.now() - t0) / 1000).toFixed(1)} s; largest score differences: ` +
    `project-trained model in PyTorch ${d3.toExponential(1)}, golden export ${d4.toExponential(1)}, ` +
    `golden project model ${d5.toExponential(1)}`);
rmSync(tmp, { recursive: true, force: true });
