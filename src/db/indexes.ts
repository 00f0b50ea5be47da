/**
 * Which indexes a database gets. FerretDB 1.x on SQLite reads no index but _id's (other filters are scanned,
 * in SQLite with our narrowing patch, see db/ferretdb.ts), so there a secondary index is never read, yet every
 * insert, update and delete of its collection maintains it (~0.1 ms of FerretDB CPU per index per write). On that
 * server only the unique indexes are kept: "once" rests on them (see storage/insert-once.ts); secondary indexes
 * made by an earlier version are dropped. Elsewhere (MongoDB, FerretDB on PostgreSQL), all of them.
 */
import type mongoose from 'mongoose';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any schema's model
type AnyModel = mongoose.Model<any>;

export async function ensureIndexes(connection: mongoose.Connection, models: readonly AnyModel[]): Promise<{ onlyUnique: boolean }> {
  const unique = (m: AnyModel) => m.schema.indexes().filter(([, options]) => options?.unique);
  await Promise.all(models.flatMap((m) => unique(m).map(([fields, options]) => m.collection.createIndex(fields as Record<string, 1 | -1>, options as Record<string, unknown>))));
  const probe = models.find((m) => unique(m).length > 0);
  const onlyUnique = probe ? await readsOnlyIdIndex(connection, probe) : false;
  if (!onlyUnique) await Promise.all(models.map((m) => m.createIndexes()));
  else await Promise.all(models.map(dropSecondaryIndexes));
  return { onlyUnique };
}

/** Drops the collection's indexes that are neither _id's nor unique (a missing collection has none). */
async function dropSecondaryIndexes(m: AnyModel): Promise<void> {
  const indexes = await m.collection.listIndexes().toArray().catch(() => []);
  await Promise.all(indexes.filter((i) => i.name !== '_id_' && !i.unique).map((i) => m.collection.dropIndex(i.name as string).catch(() => undefined))); // another process may have dropped it
}

/** FerretDB 1.x with the SQLite backend: its explain() shows SQLite's own plan lines ("… detail=SEARCH …"). */
async function readsOnlyIdIndex(connection: mongoose.Connection, existing: AnyModel): Promise<boolean> {
  const info = await connection.db!.admin().command({ buildInfo: 1 });
  if (typeof info.ferretdbVersion !== 'string' || !/^v?1\./.test(info.ferretdbVersion)) return false;
  const plan = (await existing.collection.find({ _id: 'index-probe' } as never).explain()) as { queryPlanner?: { Plan?: unknown } };
  const lines = plan.queryPlanner?.Plan;
  return Array.isArray(lines) && lines.some((l) => typeof l === 'string' && l.includes('detail='));
}
