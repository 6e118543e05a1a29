// The README's JS example, run verbatim: the block after the "readme-example" marker.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';

test('the README example runs as written and prints what its comments say', () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const match = readme.match(/<!-- readme-example[^>]*-->\s*```js\n([\s\S]*?)```/);
  assert.ok(match, 'README.md has a readme-example js block');
  // Inside the repository, so that 'recsys-wasm' resolves to this package (self-reference).
  const dir = new URL('../../build/readme-example/', import.meta.url);
  mkdirSync(dir, { recursive: true });
  const file = new URL('example.mjs', dir);
  writeFileSync(file, match[1]);
  const out = execFileSync(process.execPath, [file.pathname], { encoding: 'utf8' });
  // The expected output is written in the comments after the console.log(...) calls.
  const expected = [...match[1].matchAll(/console\.log\(.*\/\/ (.*)$/gm)].map((m) => m[1].trim());
  assert.equal(expected.length, 7);
  assert.deepEqual(out.trim().split('\n'), expected);
});
