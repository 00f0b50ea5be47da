import mongoose from 'mongoose';
import type { Logger } from 'pino';
import { ALL_MODELS, RETIRED_INDEXES, SQLITE_LOOKUP_INDEXES } from '../storage/models.js';
import { startEmbeddedDatabase } from './embedded.js';
import { ensureIndexes } from './indexes.js';

export interface Database { connection: mongoose.Connection; close(): Promise<void> }

/**
 * Connects mongoose (one shared connection; Agenda uses the same one) and makes sure indexes exist (see indexes.ts).
 * `monitorCommands`: the driver emits an event per command and reply (src/db/op-counter.ts counts them for
 * benchmarks and tests). Off by default: it decodes every reply in full a second time, ~1 ms of the service's CPU
 * per action.
 */
export async function connectDatabase(opts: { uri?: string; dbName?: string; dataDir: string; logger: Logger; monitorCommands?: boolean }): Promise<Database> {
  const embedded = opts.uri ? null : await startEmbeddedDatabase(opts.dataDir, opts.logger);
  const uri = opts.uri ?? embedded!.uri;
  mongoose.set('strictQuery', true);
  await mongoose.connect(uri, { dbName: opts.dbName ?? 'rouh', serverSelectionTimeoutMS: 10_000, autoIndex: false, monitorCommands: opts.monitorCommands ?? false });
  // A database from an older version may still hold these (absent ones make dropIndex fail: fine).
  await Promise.all(RETIRED_INDEXES.map(({ model, name }) => model.collection.dropIndex(name).catch(() => undefined)));
  await ensureIndexes(mongoose.connection, ALL_MODELS, SQLITE_LOOKUP_INDEXES);
  return {
    connection: mongoose.connection,
    async close() {
      // Operations still in flight at shutdown fail with "client was closed"; that is expected here.
      await mongoose.disconnect().catch(() => undefined);
      await embedded?.stop();
    },
  };
}
