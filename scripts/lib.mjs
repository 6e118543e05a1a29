// Shared steps of npm start / npm test / npm run build: set-up (Debian packages, npm ci), the two
// CMake builds, and running commands with timing. Every step skips what is already done.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = resolve(fileURLToPath(new URL('..', import.meta.url)));

// Debian packages by purpose. nodejs and npm are assumed (they run this script).
export const PACKAGES = {
  build: ['cmake', 'ninja-build', 'g++', 'gzip', 'libeigen3-dev', 'nlohmann-json3-dev', 'catch2', 'emscripten'],
  browser: ['chromium'],
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
  }
  return times;
}

export function jobs() {
  const n = Number(process.env.RECSYS_JOBS);
  if (Number.isInteger(n) && n > 0) return n;
  return 2;
}

/** Default demo data: the native build's summary of the default synthetic shop. */
export function ensureDemoData() {
  const dir = join(root, 'build', 'demo', 'synthetic');
  const summary = join(dir, 'summary.json');
  const cli = join(root, 'build', 'recsys');
  // Made again when the CLI was rebuilt after it: a changed generator changes the data.
  if (existsSync(summary) && statSync(summary).mtimeMs >= statSync(cli).mtimeMs) {
    log('demo data present (build/demo/)');
    return;
  }
  mkdirSync(dir, { recursive: true });
  const r = spawnSync(cli, ['generate', '--json', '--out', dir], { encoding: 'utf8' });
  if (r.status !== 0) fail(`recsys generate failed: ${r.stderr}`);
  writeFileSync(summary, r.stdout);
  log('wrote demo data to build/demo/synthetic/');
}
