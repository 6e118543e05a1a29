// npm run fuzz [-- --seconds N] [-- --only NAME[,NAME]]: builds the libFuzzer targets of
// tests/fuzz/ with clang (ASan + UBSan, build-fuzz/) and runs each for N seconds (default 60) on
// one core, starting from its committed seed corpus (tests/fuzz/corpus/<target>/, copied into
// build-fuzz/corpus/<target>/, where the inputs it finds accumulate). A crash stops the run with
// the input libFuzzer wrote (build-fuzz/crash-*): fix it, then keep the input in
// tests/fuzz/regressions/<target>/, which the Catch2 suite replays. Prints executions per target.
import { cpSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ensurePackages, fail, jobs, log, root, run } from './lib.mjs';

const arg = (name, fallback) => {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  const i = process.argv.indexOf(`--${name}`);
  return a ? a.split('=')[1] : i > 0 ? process.argv[i + 1] : fallback;
};
const seconds = Number(arg('seconds', '60'));
if (!(seconds > 0)) fail(`--seconds must be a positive number, got ${arg('seconds')}`);
const TARGETS = ['catalog', 'dataset', 'online_retail', 'extract', 'model', 'configs', 'recommender', 'shop'];
const only = arg('only', '') ? arg('only', '').split(',') : TARGETS;
for (const t of only) if (!TARGETS.includes(t)) fail(`--only: unknown target '${t}' (expected ${TARGETS.join(', ')})`);

ensurePackages(['build', 'fuzz']);
const dir = join(root, 'build-fuzz');
if (!existsSync(join(dir, 'build.ninja'))) {
  run('cmake', ['-S', '.', '-B', dir, '-G', 'Ninja', '-DCMAKE_BUILD_TYPE=None', '-DCMAKE_CXX_FLAGS=-O1 -g1',
    '-DCMAKE_CXX_COMPILER=clang++-14', '-DRECSYS_FUZZ=ON', '-DRECSYS_BUILD_TESTS=OFF', '-DRECSYS_BUILD_CLI=OFF']);
}
run('cmake', ['--build', dir, '-j', String(jobs()), '--target', ...only.map((t) => `fuzz_${t}`)]);

const results = [];
for (const t of only) {
  const corpus = join(dir, 'corpus', t);
  mkdirSync(corpus, { recursive: true });
  cpSync(join(root, 'tests', 'fuzz', 'corpus', t), corpus, { recursive: true });
  log(`fuzz_${t}: ${seconds} s from ${readdirSync(corpus).length} inputs`);
  const r = spawnSync(join(dir, `fuzz_${t}`), [corpus, `-max_total_time=${seconds}`, '-print_final_stats=1',
    '-max_len=65536', '-rss_limit_mb=4096', '-timeout=20', `-artifact_prefix=${dir}/`],
  { encoding: 'utf8', cwd: dir, env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=1', UBSAN_OPTIONS: 'print_stacktrace=1:halt_on_error=1' } });
  const out = `${r.stdout}${r.stderr}`;
  const stat = (k) => Number(out.match(new RegExp(`stat::${k}:\\s+(\\d+)`))?.[1] ?? NaN);
  const execs = stat('number_of_executed_units');
  results.push({ target: t, seconds, execs, per_second: Math.round(execs / seconds), corpus: readdirSync(corpus).length, status: r.status });
  if (r.status !== 0) {
    console.error(out.slice(-6000));
    fail(`fuzz_${t} found a crash (status ${r.status}); its input is in ${dir}/ (crash-*, leak-*, timeout-*)`);
  }
  log(`  ${execs.toLocaleString()} executions (${Math.round(execs / seconds).toLocaleString()}/s), corpus ${readdirSync(corpus).length} inputs`);
}
log('no crash:');
for (const x of results) log(`  ${x.target.padEnd(14)} ${x.execs.toLocaleString().padStart(12)} executions in ${x.seconds} s (${x.per_second.toLocaleString()}/s), corpus ${x.corpus}`);
