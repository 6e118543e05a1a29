#!/usr/bin/env node
// A small dependency-free static server for the demo: web/ at /, the built module at /dist/,
// the committed data at /data/ and generated demo data at /demo/. Sends the right MIME types and
// the COOP/COEP headers that cross-origin isolation (SharedArrayBuffer, threads) needs.
// usage: node web/server.mjs [--port N] [--host H]   (PORT also sets the port; default 8080)
import { createServer } from 'node:http';
import { createReadStream, statSync } from 'node:fs';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const MOUNTS = [
  ['/dist/', join(root, 'build-wasm', 'dist')],
  ['/data/', join(root, 'data')],
  ['/demo/', join(root, 'data', 'demo')],
  ['/vendor/', join(root, 'build-wasm', 'vendor')],
  ['/', join(root, 'web')],
];
const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.csv': 'text/csv; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.safetensors': 'application/octet-stream',
  '.ts': 'text/plain; charset=utf-8',
};

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

/** Maps a URL path to a file under one of the mounts, refusing anything that escapes it. */
export function resolvePath(urlPath, mounts = MOUNTS) {
  let path;
  try {
    path = decodeURIComponent(urlPath.split('?')[0].split('#')[0]);
  } catch {
    return null;
  }
  if (path.includes('\0')) return null;
  for (const [prefix, dir] of mounts) {
    if (!path.startsWith(prefix)) continue;
    const rel = normalize(path.slice(prefix.length));
    const file = resolve(dir, rel.startsWith(sep) ? rel.slice(1) : rel);
    if (file !== dir && !file.startsWith(dir + sep)) return null;
    return file;
  }
  return null;
}

/**
 * Starts the server. extraMounts ([urlPrefix, dir] pairs, checked first) lets the benchmarks also
 * serve bench/ and node_modules/.
 */
export function startServer({ port = 8080, host = '127.0.0.1', isolation = true, extraMounts = [] } = {}) {
  const mounts = [...extraMounts, ...MOUNTS];
  const server = createServer((req, res) => {
    const headers = { 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff' };
    if (isolation) {
      headers['Cross-Origin-Opener-Policy'] = 'same-origin';
      headers['Cross-Origin-Embedder-Policy'] = 'require-corp';
      headers['Cross-Origin-Resource-Policy'] = 'same-origin';
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { ...headers, Allow: 'GET, HEAD' }).end('method not allowed\n');
      return;
    }
    let file = resolvePath(req.url ?? '/', mounts);
    let st = null;
    try {
      if (file) st = statSync(file);
      if (st?.isDirectory()) {
        file = join(file, 'index.html');
        st = statSync(file);
      }
    } catch {
      st = null;
    }
    if (!file || !st?.isFile()) {
      res.writeHead(404, { ...headers, 'Content-Type': 'text/plain; charset=utf-8' }).end('not found\n');
      return;
    }
    res.writeHead(200, {
      ...headers,
      'Content-Type': TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
      'Content-Length': st.size,
    });
    if (req.method === 'HEAD') return res.end();
    createReadStream(file).pipe(res);
  });
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => ok(server));
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const port = Number(arg('port', process.env.PORT ?? 8080));
  const host = arg('host', '127.0.0.1');
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`server: --port / PORT must be an integer in [0, 65535], got ${arg('port', process.env.PORT)}`);
    process.exit(2);
  }
  const server = await startServer({ port, host, isolation: !process.argv.includes('--no-isolation') });
  const { port: actual } = server.address();
  console.log(`recsys-wasm demo: http://${host}:${actual}/`);
}
