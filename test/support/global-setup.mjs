/**
 * One database server per test run (MONGODB_URI if set, else the embedded default: mongodb-memory-server
 * or FerretDB); each test file then uses its own fresh database on it. Plain ESM: Jest does not map
 * `.js` → `.ts` for global setup, so the TypeScript module is loaded through tsx.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { tsImport } from 'tsx/esm/api';
import { pino } from 'pino';

export default async function globalSetup() {
  if (process.env.MONGODB_URI) {
    process.env.TEST_MONGODB_URI = process.env.MONGODB_URI;
    return;
  }
  const { startEmbeddedDatabase } = await tsImport('../../src/db/embedded.ts', import.meta.url);
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'rouh-test-db-'));
  const server = await startEmbeddedDatabase(dir, pino({ level: process.env.TEST_LOG_LEVEL ?? 'info' }));
  process.env.TEST_MONGODB_URI = server.uri;
  globalThis.__ROUH_TEST_DB__ = { server, dir };
}
