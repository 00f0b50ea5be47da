/** Prints the running demo's credentials as one JSON line (written by `npm start`), with the demo admin token. */
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../config.js';

const dataDir = loadConfig().dataDir;
const file = path.join(dataDir, 'demo-credentials.json');
try {
  const c = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, string>;
  // The demo's generated admin token (absent when ADMIN_TOKEN is set: then it is yours already).
  const adminToken = (() => { try { return fs.readFileSync(path.join(dataDir, 'admin-token'), 'utf8').trim(); } catch { return undefined; } })();
  process.stdout.write(`${JSON.stringify({ baseUrl: c.baseUrl, spaceId: c.spaceId, apiKey: c.apiKey, itemId: c.itemId, providerId: c.providerId, ...(adminToken ? { adminToken } : {}) })}\n`);
} catch {
  process.stderr.write(`No demo credentials at ${file}: run \`npm start\` first.\n`);
  process.exit(1);
}
