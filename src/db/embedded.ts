/**
 * Where the database comes from when MONGODB_URI is not set, in this order:
 * 1. a real mongod through mongodb-memory-server: one already on this machine, or downloaded once (only when
 *    the download server answers within a few seconds), started as a single-node replica set with its data
 *    under DATA_DIR, so real MongoDB features (change streams, transactions) are there;
 * 2. FerretDB (SQLite) where Go is present to build it (first run only);
 * 3. otherwise one clear message saying what to set.
 */
import path from 'node:path';
import fs from 'node:fs/promises';
import type { Logger } from 'pino';
import { ensureFerretBinary, freePort, startFerret, type RunningServer } from './ferretdb.js';

export const MONGOD_VERSION = process.env.MONGOMS_VERSION ?? '7.0.14';
/** How long the mongod download server gets to answer before we fall back (no internet: fail fast). */
export const DOWNLOAD_PROBE_TIMEOUT_MS = 3000;

/** True when an HTTP server answers at `url` (any status) within `timeoutMs`. */
export async function reachable(url: string, timeoutMs = DOWNLOAD_PROBE_TIMEOUT_MS): Promise<boolean> {
  try {
    await fetch(url, { method: 'HEAD', signal: AbortSignal.timeout(timeoutMs), redirect: 'manual' });
    return true;
  } catch {
    return false;
  }
}

export function mongodDownloadHost(env: NodeJS.ProcessEnv = process.env): string {
  return env.MONGOMS_DOWNLOAD_URL ?? env.MONGOMS_DOWNLOAD_MIRROR ?? 'https://fastdl.mongodb.org';
}

export type EmbeddedChoice = { kind: 'mongod'; binary: string } | { kind: 'mongod-download' } | { kind: 'ferretdb'; binary: string } | { kind: 'none' };

export interface EmbeddedProbes {
  /** A mongod binary already on this machine (MONGOMS_SYSTEM_BINARY or mongodb-memory-server's cache). */
  localMongod(): Promise<string | null>;
  /** Whether mongod can be downloaded now (bounded by a short timeout). */
  downloadReachable(): Promise<boolean>;
  /** The FerretDB binary, built with Go if needed; null when Go is missing. */
  ferretdb(): Promise<string | null>;
}

/** The fallback decision, separate from starting anything so it can be tested. */
export async function chooseEmbedded(p: EmbeddedProbes): Promise<EmbeddedChoice> {
  const local = await p.localMongod();
  if (local) return { kind: 'mongod', binary: local };
  if (await p.downloadReachable()) return { kind: 'mongod-download' };
  const ferret = await p.ferretdb();
  return ferret ? { kind: 'ferretdb', binary: ferret } : { kind: 'none' };
}

const core = () => import('mongodb-memory-server-core');

function realProbes(logger: Logger): EmbeddedProbes {
  return {
    async localMongod() {
      if (process.env.MONGOMS_SYSTEM_BINARY) return process.env.MONGOMS_SYSTEM_BINARY;
      try {
        return (await (await core()).DryMongoBinary.locateBinary({ version: MONGOD_VERSION })) ?? null;
      } catch {
        return null;
      }
    },
    async downloadReachable() {
      if (process.env.MONGOMS_RUNTIME_DOWNLOAD === 'false') return false;
      const ok = await reachable(mongodDownloadHost());
      if (!ok) logger.info(`MongoDB download server ${mongodDownloadHost()} not reachable; trying FerretDB`);
      return ok;
    },
    ferretdb: () => ensureFerretBinary(logger),
  };
}

/** mongod as a one-node replica set; the port is kept in DATA_DIR because the replica set config names it. */
async function startMongod(dataDir: string, binary: string | null, logger: Logger): Promise<RunningServer> {
  const { MongoMemoryReplSet, MongoBinary } = await core();
  const dbPath = path.join(dataDir, 'mongodb');
  await fs.mkdir(dbPath, { recursive: true });
  const portFile = path.join(dbPath, 'rouh-port');
  const savedPort = Number(await fs.readFile(portFile, 'utf8').catch(() => '')) || 0;
  const port = savedPort || (await freePort());
  await fs.writeFile(portFile, String(port));
  let systemBinary = binary;
  if (!systemBinary) {
    logger.info(`Downloading MongoDB ${MONGOD_VERSION} (first run only)...`);
    const started = Date.now();
    process.env.MONGOMS_RUNTIME_DOWNLOAD = 'true';
    systemBinary = await MongoBinary.getPath({ version: MONGOD_VERSION });
    logger.info(`MongoDB downloaded in ${Math.round((Date.now() - started) / 1000)} s`);
  }
  const rs = await MongoMemoryReplSet.create({
    binary: { systemBinary },
    replSet: { count: 1, name: 'rouh', storageEngine: 'wiredTiger' },
    instanceOpts: [{ dbPath, port, storageEngine: 'wiredTiger' }],
  });
  logger.info({ binary: systemBinary }, 'embedded MongoDB (single-node replica set) started');
  return { uri: rs.getUri(), stop: async () => { await rs.stop({ doCleanup: false }); } };
}

export class NoDatabaseError extends Error {}

export async function startEmbeddedDatabase(dataDir: string, logger: Logger, probes: EmbeddedProbes = realProbes(logger)): Promise<RunningServer> {
  const choice = await chooseEmbedded(probes);
  switch (choice.kind) {
    case 'mongod':
      return startMongod(dataDir, choice.binary, logger);
    case 'mongod-download':
      return startMongod(dataDir, null, logger);
    case 'ferretdb': {
      const server = await startFerret(choice.binary, path.join(dataDir, 'ferretdb'), logger);
      logger.info('embedded FerretDB started');
      return server;
    }
    case 'none':
      throw new NoDatabaseError(
        'No database available: set MONGODB_URI to a MongoDB server (e.g. `docker compose up -d mongo`), or MONGOMS_SYSTEM_BINARY to a mongod binary; '
        + 'without internet access to download MongoDB, install Go so FerretDB can be built.',
      );
  }
}
