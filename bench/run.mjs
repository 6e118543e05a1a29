// npm run bench -- <name> [--quick] [--baseline=DIR]: builds, then runs the named benchmarks (train,
// eval, retrieval, session, requests, simulator; baseline builds an earlier commit's dist/ for
// --baseline).
// Benchmarks print ratios against peers measured in the same run and write bench/results/<name>.json.
// It installs nothing: missing prerequisites stop it with the command to run, and an optional peer
// that is not installed (PyTorch) is skipped, and said.
import { build, checkSetup, log } from '../scripts/lib.mjs';

const BENCHES = {
  train: () => import('./train/index.mjs'),
  eval: () => import('./eval/report.mjs'),
  retrieval: () => import('./retrieval/index.mjs'),
  session: () => import('./session/index.mjs'),
  requests: () => import('./requests/index.mjs'),
  simulator: () => import('./simulator/index.mjs'),
  size: () => import('./size/index.mjs'),
  firstpage: () => import('./firstpage/index.mjs'),
  precision: () => import('./precision/index.mjs'),
  baseline: () => import('./baseline.mjs'),
};
const names = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const quick = process.argv.includes('--quick');
if (names.length === 0) names.push('train');
for (const n of names) {
  if (!BENCHES[n]) {
    console.error(`unknown benchmark '${n}'; known: ${Object.keys(BENCHES).join(', ')}`);
    process.exit(2);
  }
}
checkSetup({ browser: true });  // installs nothing: says what is missing
build();
for (const n of names) {
  log(`benchmark ${n}`);
  await (await BENCHES[n]()).run({ quick });
}
// The README's table, from every result file (this run's and the latest of the others).
const { write } = await import('./table.mjs');
log(`benchmark table: ${write()}`);
