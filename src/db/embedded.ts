/**
 * Where the database comes from: MONGODB_URI → mongodb-memory-server (when a MongoDB binary is already
 * on this machine) → FerretDB (SQLite). Data lives under DATA_DIR so a restart keeps actions.
 */
import path from 'node:path';
import fs from 'node:fs/promises';
import type { Logger } from 'pino';
import { ensureFerretBinary, startFerret, type RunningServer } from './ferretdb.js';

async function startMemoryServer(dataDir: string, logger: Logger): Promise<RunningServer | null> {
  try {
    process.env.MONGOMS_RUNTIME_DOWNLOAD ??= 'false';
    const core = await import('mongodb-memory-server-core');
    const binary = process.env.MONGOMS_SYSTEM_BINARY ?? (await core.DryMongoBinary.locateBinary({ version: process.env.MONGOMS_VERSION ?? '7.0.14' }));
    if (!binary) return null;
    const dbPath = path.join(dataDir, 'mongodb');
    await fs.mkdir(dbPath, { recursive: true });
    const server = await core.MongoMemoryServer.create({ instance: { dbPath, storageEngine: 'wiredTiger' }, binary: { systemBinary: binary } });
    logger.info({ binary }, 'embedded MongoDB (mongodb-memory-server) started');
    return { uri: server.getUri(), stop: async () => { await server.stop({ doCleanup: false }); } };
  } catch (err) {
    logger.debug({ err }, 'mongodb-memory-server unavailable');
    return null;
  }
}

export class NoDatabaseError extends Error {}

export async function startEmbeddedDatabase(dataDir: string, logger: Logger): Promise<RunningServer> {
  const memory = await startMemoryServer(dataDir, logger);
  if (memory) return memory;
  const bin = await ensureFerretBinary(logger);
  if (!bin) {
    throw new NoDatabaseError(
      'No database available: set MONGODB_URI to a MongoDB server, or MONGOMS_SYSTEM_BINARY to a mongod binary, or install Go so FerretDB can be built.',
    );
  }
  const server = await startFerret(bin, path.join(dataDir, 'ferretdb'), logger);
  logger.info('embedded FerretDB started');
  return server;
}
