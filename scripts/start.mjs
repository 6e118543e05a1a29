// npm start: set-up, build, make the default demo data if missing, then serve the demo.
import { build, ensureDemoData, log, setup } from './lib.mjs';
import { startServer } from '../web/server.mjs';

setup();
build();
ensureDemoData();
const port = Number(process.env.PORT ?? 8080);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`PORT must be an integer in [0, 65535], got ${process.env.PORT}`);
  process.exit(2);
}
const server = await startServer({ port });
log(`serving the demo at http://127.0.0.1:${server.address().port}/  (Ctrl-C to stop)`);
