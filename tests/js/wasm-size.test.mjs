// scripts/wasm-size.mjs (where a .wasm's bytes go, `npm run bench -- size`): the function index of
// each body counts the imported functions first, whatever the length of the imports' names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyse, groupOf, readSections } from '../../scripts/wasm-size.mjs';
import { leb } from '../../wasm/relaxed-i8.mjs';

const bytesOf = (s) => [...Buffer.from(s)];
const name = (s) => [...leb(s.length), ...bytesOf(s)];
const section = (id, body) => [id, ...leb(body.length), ...body];

// A module importing `imports` functions of type () -> () (a global and a memory among them),
// defining one function per body size in `bodies` (each body: no locals, nops, end).
function moduleWith(imports, bodies) {
  const type = section(1, [1, 0x60, 0, 0]);
  const entries = [];
  imports.forEach((field, i) => {
    entries.push([...name('env'), ...name(field), 0x00, 0]);  // a function of type 0
    if (i === 0) entries.push([...name('env'), ...name('a_global_with_a_long_name'), 0x03, 0x7f, 0x00]);
    if (i === 1) entries.push([...name('env'), ...name('memory'), 0x02, 0x00, 1]);
  });
  const importSection = section(2, [...leb(entries.length), ...entries.flat()]);
  const functionSection = section(3, [...leb(bodies.length), ...bodies.map(() => 0)]);
  const code = bodies.map((n) => {
    const body = [0, ...new Array(n - 2).fill(0x01), 0x0b];  // no locals, nops, end
    return [...leb(body.length), ...body];
  });
  const codeSection = section(10, [...leb(bodies.length), ...code.flat()]);
  return Buffer.from([0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0, ...type, ...importSection, ...functionSection, ...codeSection]);
}

test('bodies are numbered after every imported function, whatever the names', () => {
  const imports = ['f', 'invoke_viiii', 'a'.repeat(200), '_embind_register_class_function'];
  const bytes = moduleWith(imports, [10, 300, 40]);
  assert.ok(WebAssembly.validate(bytes), 'the test module is valid wasm');
  const { importedFunctions, bodies } = readSections(bytes);
  assert.equal(importedFunctions, imports.length);
  assert.deepEqual(bodies.map((b) => [b.index, b.size]), [[4, 10], [5, 300], [6, 40]]);
});

test('each body gets the name the symbol map gives its index', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wasm-size-'));
  const file = join(dir, 'm.wasm');
  writeFileSync(file, moduleWith(['x', 'yy', 'zzz'], [10, 300, 40]));
  // emcc's map: one "index:name" line per function, imports included.
  writeFileSync(join(dir, 'm.mjs.symbols'), '0:x\n1:yy\n2:zzz\n3:small\n4:_ZN6recsys5large3runEv\n5:tiny\n');
  const r = analyse(file);
  assert.deepEqual(r.functions.map((f) => [f.name, f.bytes]), [['recsys::large::run()', 300], ['tiny', 40], ['small', 10]]);
  assert.equal(r.groups.find((g) => g.group === 'recsys::large').bytes, 300);
});

test('a function is grouped by its own name before the types it mentions', () => {
  assert.equal(groupOf('recsys::TwoTowerModel::user_embeddings(std::__2::vector<recsys::UserQuery> const&, Eigen::Matrix<float, -1, -1, 1, -1, -1>&) const'), 'recsys::TwoTowerModel');
  assert.equal(groupOf('int recsys::(anonymous namespace)::get<int>(nlohmann::json_abi_v3_11_2::basic_json<> const&, char const*)'), 'recsys::get');
  assert.equal(groupOf('Eigen::internal::gebp_kernel<float, float, long>::operator()(float*)'), 'Eigen');
  assert.equal(groupOf("recsys::FunctionRef<void ()>::FunctionRef<recsys::TwoTowerModel::compute_gradients(recsys::TrainingBatch const&)::$_4&, 0>(recsys::TwoTowerModel::compute_gradients(recsys::TrainingBatch const&)::$_4&)::'lambda'(void*)::__invoke(void*)"), 'recsys::TwoTowerModel');
  assert.equal(groupOf('void Eigen::internal::generic_product_impl<recsys::X>::evalTo()'), 'Eigen');
  assert.equal(groupOf('nlohmann::json_abi_v3_11_2::detail::lexer<>::scan()'), 'nlohmann_json');
  assert.equal(groupOf('std::__2::vector<recsys::nn::Dense, std::__2::allocator<recsys::nn::Dense> >::max_size() const'), 'libc++ / libc++abi');
  assert.equal(groupOf('emscripten::internal::Invoker<double>::invoke(double (*)())'), 'embind');
  assert.equal(groupOf('double boost::math::detail::ibeta_imp<double>(double, double)'), 'Boost.Math');
  assert.equal(groupOf('scalbn'), 'libc / runtime');
});

test("the bindings' own functions are told from embind's", () => {
  assert.equal(groupOf("decltype(fp()) (anonymous namespace)::guarded<__embind_init_recsys()::$_40::operator()(double) const::'lambda'()>(x)"), 'bindings.cpp');
  assert.equal(groupOf('__embind_init_recsys()::$_90::__invoke()'), 'bindings.cpp');
  assert.equal(groupOf('(anonymous namespace)::relaxed_i8_hook(signed char const*, long long)'), 'bindings.cpp');
  assert.equal(groupOf('__embind_register_native_and_builtin_types'), 'embind');
  assert.equal(groupOf('emscripten::val::val<emscripten::memory_view<unsigned char> >(emscripten::memory_view<unsigned char>&&)'), 'embind');
});

// With link-time optimisation a template that several sources instantiate keeps the copy of the
// source that the linker reads first, optimised as that source was; the serving engine builds the
// towers' sources for size, and a -Os copy of Eigen's GEMM once made its warm requests 3.9x slower.
// Both engines read the kernels (built for speed) first, so they keep the same copies.
test("the serving engine keeps the full engine's copies of Eigen's GEMM kernels (to within 5 %)", () => {
  const dist = new URL('../../build-wasm/dist/', import.meta.url).pathname;
  const sizes = (file) => new Map(analyse(join(dist, file)).functions
    .filter((f) => /^Eigen::internal::(gebp_kernel|gemm_pack_lhs|gemm_pack_rhs)</.test(f.name)).map((f) => [f.name, f.bytes]));
  const serve = sizes('recsys-serve.wasm');
  const full = sizes('recsys.wasm');
  const both = [...serve.keys()].filter((name) => full.has(name));
  assert.ok(both.length >= 3, `both engines have Eigen's GEMM kernels (found ${both.length} in both)`);
  for (const name of both) {
    // The same copy, to within a few bytes of encoding (a -Os copy differed by half).
    assert.ok(Math.abs(serve.get(name) - full.get(name)) <= 0.05 * full.get(name),
      `${name.slice(0, 80)}: ${serve.get(name)} bytes in the serving engine, ${full.get(name)} in the full one`);
  }
});

// The serving engine's download budget (issue 14: 150 KB gzipped), by the same measure as
// `npm run bench -- size` (zlib level 9): a change that adds to the serving engine shows here,
// and the README's "Size" says what its bytes hold and what was cut to meet it.
test('the serving engine .wasm stays within 150 KB gzipped', () => {
  const file = new URL('../../build-wasm/dist/recsys-serve.wasm', import.meta.url).pathname;
  const gz = analyse(file).gzipBytes;
  assert.ok(gz <= 150 * 1024, `recsys-serve.wasm is ${gz} bytes gzipped (${(gz / 1024).toFixed(1)} KB), over 150 KB`);
});
