// npm run test:sanitize: the native Catch2 suite under AddressSanitizer and
// UndefinedBehaviorSanitizer (lib.mjs sanitizeSuite; npm test runs it too). Prints its times.
import { log, sanitizeSuite, setup } from './lib.mjs';

const t0 = Date.now();
setup();
const { build, ctest } = sanitizeSuite();
log('the native suite ran clean under AddressSanitizer + UndefinedBehaviorSanitizer');
log(`  build ${build.toFixed(1)} s, ctest ${ctest.toFixed(1)} s, total ${((Date.now() - t0) / 1000).toFixed(1)} s`);
