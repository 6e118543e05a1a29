// Shared steps of npm start / npm test / npm run build: set-up (Debian packages, npm ci), the two
// CMake builds, and running commands with timing. Every step skips what is already done.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = resolve(fileURLToPath(new URL('..', import.meta.url)));

// Debian packages by purpose. nodejs and npm are assumed (they run this script).
export const PACKAGES = {
  build: ['cmake', 'ninja-build', 'g++', 'gzip', 'zlib1g-dev', 'libeigen3-dev', 'nlohmann-json3-dev', 'catch2', 'emscripten'],
  browser: ['chromium'],
  fuzz: ['clang-14', 'libclang-rt-14-dev'],  // libFuzzer and the sanitizers' runtimes for clang
};

// Emscripten 3.1.6 on Debian needs Debian's node modules (acorn) on NODE_PATH (TOOLCHAIN.md 0).
export const buildEnv = {
  ...process.env,
  NODE_PATH: ['/usr/share/nodejs', process.env.NODE_PATH].filter(Boolean).join(':'),
};

export function log(msg) {
  console.log(`\x1b[1m[recsys]\x1b[0m ${msg}`);
}

export function fail(msg) {
  console.error(`\x1b[31m[recsys] ${msg}\x1b[0m`);
  process.exit(1);
}

/** Runs a command with inherited output; exits the process when it fails. Returns seconds. */
export function run(cmd, args, { env = buildEnv, cwd = root, allowFail = false } = {}) {
  const t0 = Date.now();
  const r = spawnSync(cmd, args, { stdio: 'inherit', env, cwd });
  const secs = (Date.now() - t0) / 1000;
  if (r.error) fail(`${cmd}: ${r.error.message}`);
  if (r.status !== 0 && !allowFail) fail(`${cmd} ${args.join(' ')} failed with status ${r.status ?? r.signal}`);
  return { secs, status: r.status };
}

function installed(pkg) {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.includes('install ok installed');
}

/** Installs missing Debian packages (as root) or stops with the exact command to run. */
export function ensurePackages(groups) {
  const wanted = groups.flatMap((g) => PACKAGES[g]);
  if (spawnSync('dpkg-query', ['--version']).status !== 0) {
    log('dpkg-query not found: not a Debian system, assuming the tools are installed');
    return;
  }
  const missing = wanted.filter((p) => !installed(p));
  if (missing.length === 0) {
    log(`Debian packages present: ${wanted.join(' ')}`);
    return;
  }
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot) {
    fail(`missing Debian packages. Run:\n  sudo apt-get install -y ${missing.join(' ')}\nthen run this command again.`);
  }
  log(`installing Debian packages: ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  run('apt-get', ['update'], { env });
  run('apt-get', ['install', '-y', ...missing], { env });
}

/** npm ci when node_modules is missing or older than package-lock.json's content. */
export function ensureNodeModules() {
  const lock = join(root, 'package-lock.json');
  const stamp = join(root, 'node_modules', '.recsys-lock-sha256');
  const sha = createHash('sha256').update(readFileSync(lock)).digest('hex');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === sha) {
    log('node_modules up to date');
    return;
  }
  log('npm ci (node_modules missing or stale)');
  run('npm', ['ci', '--no-audit', '--no-fund'], { env: process.env });
  writeFileSync(stamp, sha);
}

/**
 * What `npm run bench` needs, checked without installing anything: stops with the command that
 * installs what is missing (npm test and npm start install it).
 */
export function checkSetup({ browser = false } = {}) {
  const wanted = (browser ? ['build', 'browser'] : ['build']).flatMap((g) => PACKAGES[g]);
  const missing = spawnSync('dpkg-query', ['--version']).status === 0 ? wanted.filter((p) => !installed(p)) : [];
  const problems = [];
  if (missing.length) problems.push(`Debian packages missing: ${missing.join(' ')} (apt-get install -y ${missing.join(' ')}, or run npm test once)`);
  const lock = join(root, 'package-lock.json');
  const stamp = join(root, 'node_modules', '.recsys-lock-sha256');
  const sha = createHash('sha256').update(readFileSync(lock)).digest('hex');
  if (!existsSync(stamp) || readFileSync(stamp, 'utf8') !== sha) problems.push('node_modules missing or stale (npm ci, or run npm test once)');
  if (problems.length) fail(`npm run bench installs nothing:\n  ${problems.join('\n  ')}`);
  log('prerequisites present (nothing installed)');
}

export function setup({ browser = false } = {}) {
  ensurePackages(browser ? ['build', 'browser'] : ['build']);
  ensureNodeModules();
}

/** Configures (once) and builds the native tree in build/ and the wasm tree in build-wasm/. */
export function build({ native = true, wasm = true } = {}) {
  const times = {};
  if (native) {
    if (!existsSync(join(root, 'build', 'build.ninja'))) {
      run('cmake', ['-S', '.', '-B', 'build', '-G', 'Ninja', '-DCMAKE_BUILD_TYPE=Release']);
    }
    times.native = run('cmake', ['--build', 'build', '-j', String(jobs())]).secs;
  }
  if (wasm) {
    if (!existsSync(join(root, 'build-wasm', 'build.ninja'))) {
      run('emcmake', ['cmake', '-S', '.', '-B', 'build-wasm', '-G', 'Ninja', '-DCMAKE_BUILD_TYPE=Release']);
    }
    times.wasm = run('cmake', ['--build', 'build-wasm', '-j', String(jobs())]).secs;
    copyVendor();
  }
  return times;
}

export function jobs() {
  const n = Number(process.env.RECSYS_JOBS);
  if (Number.isInteger(n) && n > 0) return n;
  return 2;
}

/** Small libraries the pages use, copied from node_modules into the build output (/vendor/). */
export function copyVendor() {
  const dir = join(root, 'build-wasm', 'vendor');
  mkdirSync(dir, { recursive: true });
  for (const [from, to] of [['uplot/dist/uPlot.esm.js', 'uPlot.esm.js'], ['uplot/dist/uPlot.min.css', 'uPlot.min.css']]) {
    const src = join(root, 'node_modules', from);
    const dst = join(dir, to);
    if (!existsSync(dst) || statSync(dst).mtimeMs < statSync(src).mtimeMs) copyFileSync(src, dst);
  }
}

/**
 * Default demo data in data/demo/ (git-ignored), made natively when missing or older than the CLI:
 * the default synthetic shop (its summary, and its catalog and interactions as CSV, which the Recommend page
 * loads rather than generating them), the default model (with its ranker) the Recommend page
 * loads, and a model for UCI Online Retail with its candidate ranker.
 */
// The precision of the model files the Recommend page loads: the smallest whose validation NDCG@10
// stays within 1 % of f32 on both demo datasets (`npm run bench -- precision` measures it and says
// whether this is still the choice; README "Model precision").
export const DEMO_PRECISION = 'int8';

export function ensureDemoData() {
  const demo = join(root, 'data', 'demo');
  const cli = join(root, 'build', 'recsys');
  const fresh = (file) => existsSync(file) && statSync(file).mtimeMs >= statSync(cli).mtimeMs;
  const recsys = (args, out) => {
    const r = spawnSync(cli, args, { encoding: 'utf8' });
    if (r.status !== 0) fail(`recsys ${args.join(' ')} failed: ${r.stderr}`);
    if (out) writeFileSync(out, r.stdout);
  };
  const summary = join(demo, 'synthetic', 'summary.json');
  if (!fresh(summary) || !fresh(join(demo, 'synthetic', 'interactions.csv')) || !fresh(join(demo, 'synthetic', 'shop.bin'))) {
    mkdirSync(join(demo, 'synthetic'), { recursive: true });
    recsys(['generate', '--json', '--out', join(demo, 'synthetic'), '--format', 'csv'], summary);
    log('wrote data/demo/synthetic/ (summary.json, catalog.csv, interactions.csv, shop.bin)');
  }
  const model = join(demo, 'model');
  if (!fresh(join(model, 'manifest.json'))) {
    log('training the default demo model (synthetic shop, default preset, with a ranker) …');
    recsys(['train', '--data', 'synthetic', '--preset', 'default', '--epochs', '4', '--ranker', '--out', model, '--quiet']);
  }
  const retail = join(demo, 'online-retail-model');
  if (!fresh(join(retail, 'manifest.json'))) {
    log('training the Online Retail demo model …');
    // With a candidate ranker for the retail scene (docs/evaluation.md), whose EASE source is left out here: it
    // costs O(items³) when a Recommender is created, seconds in the page (validation NDCG@10 0.1036 without it,
    // 0.1066 with it).
    const strategy = { scenes: { retail: { page: 'default', rank: true, diversity: 0, sources: [
      { source: 'personal', quota: 100 }, { source: 'neighbours', quota: 100 }, { source: 'similar', quota: 50 },
      { source: 'popular', quota: 50 }, { source: 'trending', quota: 50 }] } } };
    recsys(['train', '--data', 'online-retail', '--preset', 'default', '--split', 'none', '--epochs', '4', '--quiet',
      '--config', JSON.stringify({ history_length: 100, history_decay: 1.0 }),
      '--candidate-ranker', JSON.stringify({ seed: 11 }), '--scene', 'retail', '--strategy', JSON.stringify(strategy),
      '--out', retail]);
  }
  // The Recommend page's copies of both models at DEMO_PRECISION (the f32 files stay for the CLI,
  // the Experiment page and the benchmarks), for serving: their hashed user tables hold only the
  // rows that the models' users reach (docs/model-format.md, "Serving files"; the same lists).
  for (const [from, to] of [[model, 'page-model'], [retail, 'page-online-retail-model']]) {
    const dir = join(demo, to);
    if (fresh(join(dir, 'manifest.json')) && statSync(join(dir, 'manifest.json')).mtimeMs >= statSync(join(from, 'manifest.json')).mtimeMs) continue;
    recsys(['convert', '--model', from, '--precision', DEMO_PRECISION, '--prune-user-rows', '--out', dir]);
    log(`wrote data/demo/${to}/ (${DEMO_PRECISION}, the user rows that users reach)`);
  }
  log('demo data present (data/demo/)');
}

/**
 * The native Catch2 suite built with AddressSanitizer + UndefinedBehaviorSanitizer in
 * build-sanitize/ (-O1 -g1, the usual sanitizer build: line numbers in reports) and run under
 * ctest; any finding (a memory error, a leak at exit, undefined behaviour) fails. Returns seconds.
 */
/**
 * The CLI built with RECSYS_PORTABLE_FLOATS in build-portable/: its floats are bit-identical to the
 * wasm build's (the determinism test trains with both). Returns seconds.
 */
export function buildPortable() {
  const dir = join(root, 'build-portable');
  if (!existsSync(join(dir, 'build.ninja'))) {
    run('cmake', ['-S', '.', '-B', dir, '-G', 'Ninja', '-DCMAKE_BUILD_TYPE=Release', '-DRECSYS_PORTABLE_FLOATS=ON', '-DRECSYS_BUILD_TESTS=OFF']);
  }
  return run('cmake', ['--build', dir, '-j', String(jobs()), '--target', 'recsys']).secs;
}

export function sanitizeSuite() {
  const dir = join(root, 'build-sanitize');
  if (!existsSync(join(dir, 'build.ninja'))) {
    run('cmake', ['-S', '.', '-B', dir, '-G', 'Ninja', '-DCMAKE_BUILD_TYPE=None', '-DCMAKE_CXX_FLAGS=-O1 -g1', '-DRECSYS_SANITIZE=ON']);
  }
  const build = run('cmake', ['--build', dir, '-j', String(jobs()), '--target', 'unit_tests']).secs;
  const env = {
    ...process.env,
    ASAN_OPTIONS: 'detect_leaks=1:detect_stack_use_after_return=1:strict_string_checks=1:check_initialization_order=1',
    UBSAN_OPTIONS: 'print_stacktrace=1:halt_on_error=1',
  };
  const ctest = run('ctest', ['--test-dir', dir, '--output-on-failure', '-j', String(jobs())], { env }).secs;
  return { build, ctest };
}
