// npm run bench -- baseline [--ref=COMMIT]: builds the WebAssembly dist/ of an earlier commit
// (default: the last commit before the typed serving seam, 2bb4a5e) in a git worktree under
// data/demo/baseline/, for `npm run bench -- requests session --baseline=DIR` to measure the
// current build against it in the same run. Prints DIR. Skips the build when it is there.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { buildEnv, jobs, log, root } from '../scripts/lib.mjs';

function sh(cmd, args, cwd = root) {
  const r = spawnSync(cmd, args, { cwd, env: buildEnv, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status})`);
}

export async function run() {
  const ref = (process.argv.find((a) => a.startsWith('--ref=')) ?? '--ref=2bb4a5e').slice('--ref='.length);
  const tree = join(root, 'data', 'demo', 'baseline', ref);
  const dist = join(tree, 'build-wasm', 'dist');
  if (!existsSync(join(dist, 'recsys-serve.wasm'))) {
    mkdirSync(join(root, 'data', 'demo', 'baseline'), { recursive: true });
    if (!existsSync(join(tree, 'CMakeLists.txt'))) sh('git', ['worktree', 'add', '--detach', tree, ref]);
    sh('emcmake', ['cmake', '-S', tree, '-B', join(tree, 'build-wasm'), '-G', 'Ninja', '-DCMAKE_BUILD_TYPE=Release', '-DRECSYS_BUILD_TESTS=OFF']);
    sh('cmake', ['--build', join(tree, 'build-wasm'), '-j', String(jobs()), '--target', 'recsys_wasm', 'recsys_serve_wasm', 'recsys_wrapper']);
  }
  log(`baseline ${ref}: --baseline=${dist}`);
  console.log(dist);
  return { dist };
}
