// The relaxed-SIMD int8 kernel's module (wasm/relaxed-i8.mjs) in Node 20, which does not take
// relaxed SIMD without a flag: the engine keeps its own kernel and says so, and the module is
// well formed but for that one instruction. Its results are checked in Chromium
// (tests/e2e/kernels.spec.mjs), which runs it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRecsys } from 'recsys-wasm';
import { relaxedI8Module, compileRelaxedI8 } from '../../build-wasm/dist/relaxed-i8.mjs';

test('without relaxed SIMD the engine reports and uses its own int8 kernel', async () => {
  const rs = await createRecsys({ engine: 'serve' });
  assert.equal(WebAssembly.validate(relaxedI8Module()), false);
  assert.equal(compileRelaxedI8(), null);
  assert.deepEqual(rs.kernels, { int8: 'simd128' });
  assert.deepEqual((await createRecsys({ engine: 'serve', relaxedSimd: false })).kernels, { int8: 'simd128' });
  await assert.rejects(createRecsys({ relaxedSimd: 'yes' }), { name: 'TypeError', message: 'relaxedSimd must be a boolean, got "yes"' });
});

test('the kernel module is well formed but for the relaxed dot product', () => {
  assert.throws(() => relaxedI8Module({ d: 24 }), { name: 'RangeError', message: 'd must be a positive multiple of 16, got 24' });
  for (const shared of [false, true]) {
    for (const d of [16, 32, 64, 256]) {  // up to 64 the query stays in registers; 256 loads it
      const bytes = relaxedI8Module({ d, shared });
      // i32x4.relaxed_dot_i8x16_i7x16_add_s is 0xfd 0x93 0x02 (opcode 0x113); put v128.bitselect
      // (three v128 in, one out: 0xfd 0x52) and a nop in its place, and the module must validate.
      let found = 0;
      const patched = Uint8Array.from(bytes);
      for (let i = 0; i + 2 < patched.length; i++) {
        if (patched[i] === 0xfd && patched[i + 1] === 0x93 && patched[i + 2] === 0x02) {
          patched.set([0xfd, 0x52, 0x01], i);
          found++;
        }
      }
      // One per 16 codes of each of four rows, and one per 16 of the query's codes (their sum, once).
      assert.equal(found, 4 * (d / 16) + d / 16, `d ${d}: one dot product per 16 codes of each of four rows, and the query's sum`);
      assert.equal(WebAssembly.validate(patched), true, `shared ${shared}, d ${d}`);
      const mod = new WebAssembly.Module(patched);
      assert.deepEqual(WebAssembly.Module.imports(mod), [{ module: 'env', name: 'memory', kind: 'memory' }]);
      assert.deepEqual(WebAssembly.Module.exports(mod), [{ name: 'scan', kind: 'function' }]);
      // The loop bounds and addressing: with bitselect in place of the dot products the outputs
      // are not scores, but every row group of four is written and the count of rows done
      // returned; another dimension is declined.
      const memory = shared ? new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true }) : new WebAssembly.Memory({ initial: 1 });
      const { scan } = new WebAssembly.Instance(mod, { env: { memory } }).exports;
      const f32 = new Float32Array(memory.buffer);
      const q = 11 * d, scale = q + d, out = scale + 64;
      f32.fill(-1, out / 4, out / 4 + 16);
      assert.equal(scan(0, 11, d + 16, q, scale, out), 0);
      assert.ok(f32.subarray(out / 4, out / 4 + 16).every((x) => x === -1));
      assert.equal(scan(0, 11, d, q, scale, out), 8);  // 11 rows: two groups of four
      assert.ok(f32.subarray(out / 4, out / 4 + 8).every((x) => x !== -1));
      assert.ok(f32.subarray(out / 4 + 8, out / 4 + 16).every((x) => x === -1));  // the three left are not touched
    }
  }
});
