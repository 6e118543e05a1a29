// npm test: set-up, native build + ctest, wasm build + ctest, the portable-floats CLI, node --test for the JS API,
// Playwright in Debian's Chromium, and the native suite under ASan + UBSan. Prints the time of
// each stage.
import { build, buildPortable, ensureDemoData, jobs, log, root, run, sanitizeSuite, setup } from './lib.mjs';

const t0 = Date.now();
const times = {};
const stage = (name, fn) => { const s = Date.now(); fn(); times[name] = (Date.now() - s) / 1000; };

stage('setup', () => setup({ browser: true }));
stage('native build', () => build({ native: true, wasm: false }));
stage('native ctest', () => run('ctest', ['--test-dir', 'build', '--output-on-failure', '-j', String(jobs())]));
stage('wasm build', () => build({ native: false, wasm: true }));
stage('wasm ctest', () => run('ctest', ['--test-dir', 'build-wasm', '--output-on-failure', '-j', String(jobs())]));
stage('demo data', () => ensureDemoData());
stage('portable CLI', () => buildPortable());  // for tests/js/determinism.test.mjs
stage('node --test', () => run(process.execPath, ['--test', '--test-reporter=spec', 'tests/js/']));
stage('playwright', () => run(process.execPath, [`${root}/node_modules/@playwright/test/cli.js`, 'test']));
// The native suite again under ASan + UBSan (about 13 minutes on 2 cores: its own build, then a
// ctest about 4x slower); RECSYS_SKIP_SANITIZE=1 leaves it out of a local run.
if (process.env.RECSYS_SKIP_SANITIZE !== '1') stage('sanitizers', () => sanitizeSuite());
else log('sanitizers skipped (RECSYS_SKIP_SANITIZE=1)');

log('all tests passed');
for (const [k, v] of Object.entries(times)) log(`  ${k.padEnd(14)} ${v.toFixed(1)} s`);
log(`  ${'total'.padEnd(14)} ${((Date.now() - t0) / 1000).toFixed(1)} s`);
