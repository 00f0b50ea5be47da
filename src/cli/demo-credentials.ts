/** Prints the running demo's credentials as one JSON line (written by `npm start`). */
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../config.js';

const file = path.join(loadConfig().dataDir, 'demo-credentials.json');
try {
  const c = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, string>;
  process.stdout.write(`${JSON.stringify({ baseUrl: c.baseUrl, spaceId: c.spaceId, apiKey: c.apiKey, itemId: c.itemId, providerId: c.providerId })}\n`);
} catch {
  process.stderr.write(`No demo credentials at ${file}: run \`npm start\` first.\n`);
  process.exit(1);
}
