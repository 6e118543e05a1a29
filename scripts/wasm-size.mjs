// Where the bytes of a WebAssembly module go: `node scripts/wasm-size.mjs FILE.wasm [--top N] [--json]`.
// Reads the module's sections, the size of every function body in its code section, and the
// function names from the symbol map that the link writes beside it (FILE.mjs.symbols or
// FILE.wasm.symbols, from emcc --emit-symbol-map; demangled with c++filt when present). Prints the section table, the
// code grouped by origin (our namespaces, our bindings, nlohmann_json, Boost.Math, Eigen, libc++, embind, libc / runtime)
// and the N largest functions. The gzipped size of each group is estimated by compressing its
// function bodies together (gzip -9), so the groups' estimates do not add up to the file's exactly.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

const SECTION_NAMES = ['custom', 'type', 'import', 'function', 'table', 'memory', 'global', 'export', 'start', 'element', 'code', 'data', 'datacount', 'tag'];

export function readSections(bytes) {
  if (bytes.readUInt32LE(0) !== 0x6d736100) throw new Error('not a WebAssembly module (bad magic)');
  let p = 8;
  const leb = () => {
    let r = 0, shift = 0, x;
    do { x = bytes[p++]; r += (x & 0x7f) * 2 ** shift; shift += 7; } while (x & 0x80);
    return r;
  };
  const sections = [];
  let importedFunctions = 0;
  const bodies = [];
  while (p < bytes.length) {
    const id = bytes[p++];
    const len = leb();
    const start = p;
    sections.push({ id, name: SECTION_NAMES[id] ?? `#${id}`, bytes: len });
    if (id === 2) {  // imports: count the imported functions (they come first in the index space)
      const count = leb();
      for (let i = 0; i < count; i++) {
        // module and field names (`p += leb()` would add the length to p as it was before the
        // length's own bytes were read)
        for (let k = 0; k < 2; k++) { const n = leb(); p += n; }
        const kind = bytes[p++];
        if (kind === 0) { leb(); importedFunctions++; }
        else if (kind === 1) { p++; const f = bytes[p++]; leb(); if (f & 1) leb(); }
        else if (kind === 2) { const f = bytes[p++]; leb(); if (f & 1) leb(); }
        else if (kind === 3) { p += 2; }
        else if (kind === 4) { p++; leb(); }
      }
    } else if (id === 10) {
      const count = leb();
      for (let i = 0; i < count; i++) {
        const size = leb();
        bodies.push({ index: importedFunctions + i, offset: p, size });
        p += size;
      }
    }
    p = start + len;
  }
  return { sections, bodies, importedFunctions };
}

function readSymbols(file) {
  const map = new Map();
  if (!file || !existsSync(file)) return map;
  const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
  const names = lines.map((l) => l.slice(l.indexOf(':') + 1));
  // The map escapes punctuation as \XX (hex): unescape, then demangle what is still mangled.
  const unescaped = names.map((n) => n.replace(/\\([0-9a-fA-F]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16))));
  const filt = spawnSync('c++filt', [], { input: unescaped.join('\n'), encoding: 'utf8', maxBuffer: 256 << 20 });
  const demangled = filt.status === 0 ? filt.stdout.split('\n') : unescaped;
  lines.forEach((l, i) => map.set(Number(l.slice(0, l.indexOf(':'))), demangled[i] || names[i]));
  return map;
}

// The origin of a function from its demangled name: its own qualified name first (a function of
// ours whose parameters are Eigen matrices or JSON values is ours), then what it instantiates.
export function groupOf(name) {
  if (!name) return 'unnamed';
  // A FunctionRef's call thunk holds the body of the lambda it refers to (inlined): the lambda's
  // owner, named in the thunk's template argument.
  const thunk = name.match(/^recsys::FunctionRef<[^>]*>::FunctionRef<(.*)$/);
  if (thunk) return groupOf(thunk[1]);
  const ours = name.match(/^(?:[\w:<>, ]*?\s)?recsys::(?:(?:anonymous namespace|\(anonymous namespace\))::)?(\w+)/);
  if (ours) return `recsys::${ours[1]}`;
  // The engine's bindings (wasm/bindings.cpp: the lambdas that EMSCRIPTEN_BINDINGS registers and
  // the helpers they call), with whatever the link inlined into them.
  if (/__embind_init_recsys|^(?:[\w:<>, ]*?\s)?\(anonymous namespace\)::|^(?:[\w:<>, ]*?\s)?personalise_fit/.test(name)) return 'bindings.cpp';
  if (/nlohmann/.test(name)) return 'nlohmann_json';
  if (/^(?:[\w:<>, ]*?\s)?boost::/.test(name)) return 'Boost.Math';
  if (/Eigen::/.test(name)) return 'Eigen';
  if (/^emscripten::|embind|_embind_|EmscriptenBindingInitializer/.test(name)) return 'embind';
  if (/^(?:void |bool |int |unsigned |char |float |double |long )?std::|^std::|__cxx|__cxa_|__gxx|__dynamic_cast|typeinfo|vtable/.test(name)) return 'libc++ / libc++abi';
  return 'libc / runtime';
}

export function analyse(file) {
  const bytes = readFileSync(file);
  const { sections, bodies } = readSections(bytes);
  // emcc names the map after its JS output (recsys.mjs.symbols) beside recsys.wasm.
  const symbols = readSymbols([`${file}.symbols`, file.replace(/\.wasm$/, '.mjs.symbols')].find((f) => existsSync(f)) ?? '');
  const groups = new Map();
  const functions = [];
  for (const b of bodies) {
    const name = symbols.get(b.index) ?? null;
    const group = groupOf(name);
    const g = groups.get(group) ?? { group, functions: 0, bytes: 0, chunks: [] };
    g.functions++;
    g.bytes += b.size;
    g.chunks.push(bytes.subarray(b.offset, b.offset + b.size));
    groups.set(group, g);
    functions.push({ name: name ?? `#${b.index}`, group, bytes: b.size });
  }
  const grouped = [...groups.values()].map((g) => ({ group: g.group, functions: g.functions, bytes: g.bytes,
    gzipBytes: gzipSync(Buffer.concat(g.chunks), { level: 9 }).length })).sort((a, b) => b.bytes - a.bytes);
  functions.sort((a, b) => b.bytes - a.bytes);
  return { file, bytes: bytes.length, gzipBytes: gzipSync(bytes, { level: 9 }).length, named: symbols.size > 0,
    sections: sections.map((s) => ({ name: s.name, bytes: s.bytes })), groups: grouped, functions };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: node scripts/wasm-size.mjs FILE.wasm [--top N] [--json]');
    process.exit(2);
  }
  const topArg = process.argv.find((a) => a.startsWith('--top'));
  const top = topArg ? Number(topArg.split('=')[1] ?? process.argv[process.argv.indexOf(topArg) + 1]) : 25;
  const r = analyse(file);
  if (process.argv.includes('--json')) {
    console.log(JSON.stringify({ ...r, functions: r.functions.slice(0, top) }, null, 1));
  } else {
    const kb = (x) => (x / 1024).toFixed(1).padStart(8);
    console.log(`${file}: ${kb(r.bytes)} KB, ${kb(r.gzipBytes)} KB gzipped${r.named ? '' : ' (no .symbols file: functions unnamed)'}`);
    console.log('\nsection        KB');
    for (const s of r.sections) console.log(`${s.name.padEnd(10)} ${kb(s.bytes)}`);
    console.log('\ncode by origin              functions       KB   KB gz (alone)');
    for (const g of r.groups) console.log(`${g.group.padEnd(28)} ${String(g.functions).padStart(9)} ${kb(g.bytes)} ${kb(g.gzipBytes)}`);
    console.log(`\nlargest ${top} functions`);
    for (const f of r.functions.slice(0, top)) console.log(`${kb(f.bytes)}  ${f.name.slice(0, 150)}`);
  }
}
