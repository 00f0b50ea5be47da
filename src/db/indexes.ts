/**
 * Which indexes a database gets. FerretDB 1.x on SQLite plans no query with an index but _id's; our build reads a
 * single-field index for an equality on a plain string or ObjectId (db/ferretdb-src/rouh_prefilter.go), and
 * nothing reads the others, yet every insert, update and delete of a collection maintains each of its indexes
 * (~0.1 ms of FerretDB CPU per index per write). On that server the unique indexes ("once" rests on them, see
 * storage/insert-once.ts) and the given `sqliteLookups` are kept; other secondary indexes, made by an earlier
 * version, are dropped. Elsewhere (MongoDB, FerretDB on PostgreSQL), the schemas' indexes.
 */
import type mongoose from 'mongoose';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any schema's model
type AnyModel = mongoose.Model<any>;

export async function ensureIndexes(connection: mongoose.Connection, models: readonly AnyModel[], sqliteLookups: ReadonlyArray<readonly [AnyModel, Record<string, 1>]> = []): Promise<{ onlyUnique: boolean }> {
  const unique = (m: AnyModel) => m.schema.indexes().filter(([, options]) => options?.unique);
  await Promise.all(models.flatMap((m) => unique(m).map(([fields, options]) => m.collection.createIndex(fields as Record<string, 1 | -1>, options as Record<string, unknown>))));
  const probe = models.find((m) => unique(m).length > 0);
  const onlyUnique = probe ? await readsOnlyIdIndex(connection, probe) : false;
  if (!onlyUnique) {
    await Promise.all(models.map((m) => m.createIndexes()));
    return { onlyUnique };
  }
  const lookups = sqliteLookups.filter(([m]) => models.includes(m));
  const names = await Promise.all(lookups.map(([m, key]) => m.collection.createIndex(key)));
  const kept = (m: AnyModel) => new Set(names.filter((_, i) => lookups[i]![0] === m));
  await Promise.all(models.map((m) => dropSecondaryIndexes(m, kept(m))));
  return { onlyUnique };
}

/** Drops the collection's indexes that are neither _id's, unique nor `kept` (a missing collection has none). */
async function dropSecondaryIndexes(m: AnyModel, kept: ReadonlySet<string>): Promise<void> {
  const indexes = await m.collection.listIndexes().toArray().catch(() => []);
  const dropped = indexes.filter((i) => i.name !== '_id_' && !i.unique && !kept.has(i.name as string));
  await Promise.all(dropped.map((i) => m.collection.dropIndex(i.name as string).catch(() => undefined))); // another process may have dropped it
}

/** FerretDB 1.x with the SQLite backend: its explain() shows SQLite's own plan lines ("… detail=SEARCH …"). */
async function readsOnlyIdIndex(connection: mongoose.Connection, existing: AnyModel): Promise<boolean> {
  const info = await connection.db!.admin().command({ buildInfo: 1 });
  if (typeof info.ferretdbVersion !== 'string' || !/^v?1\./.test(info.ferretdbVersion)) return false;
  const plan = (await existing.collection.find({ _id: 'index-probe' } as never).explain()) as { queryPlanner?: { Plan?: unknown } };
  const lines = plan.queryPlanner?.Plan;
  return Array.isArray(lines) && lines.some((l) => typeof l === 'string' && l.includes('detail='));
}
