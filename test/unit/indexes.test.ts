/** Indexes: unique ones everywhere ("once" rests on them); the others only where the server reads them. */
import mongoose, { Schema } from 'mongoose';
import { ensureIndexes } from '../../src/db/indexes.js';

test('FerretDB on SQLite gets the unique indexes and the lookup ones it reads (no other); other servers get the schema\'s', async () => {
  const conn = await mongoose.createConnection(process.env.TEST_MONGODB_URI!, { dbName: `t_indexes_${Date.now()}`, autoIndex: false }).asPromise();
  try {
    const schema = new Schema({ key: { type: String, unique: true }, at: Date, n: Number });
    schema.index({ at: 1 });
    schema.index({ n: 1, at: -1 });
    const Model = conn.model('IndexProbe', schema);
    const { onlyUnique } = await ensureIndexes(conn, [Model], [[Model, { n: 1 }]]);

    const info = await conn.db!.admin().command({ buildInfo: 1 });
    const names = (await Model.collection.listIndexes().toArray()).map((i) => i.name as string).sort();
    if (onlyUnique) {
      expect(info.ferretdbVersion).toMatch(/^v?1\./);
      expect(names).toEqual(['_id_', 'key_1', 'n_1']);
    } else {
      expect(names).toEqual(['_id_', 'at_1', 'key_1', 'n_1_at_-1']);
    }
    await Model.create({ key: 'a' });
    await expect(Model.create({ key: 'a' })).rejects.toMatchObject({ code: 11000 });
    // Queries by the fields left without an index on FerretDB still answer (it reads the collection anyway).
    await Model.create({ key: 'b', n: 2, at: new Date() });
    expect(await Model.find({ n: 2 }, { key: 1, _id: 0 }).lean()).toEqual([{ key: 'b' }]);
  } finally {
    await conn.dropDatabase().catch(() => undefined);
    await conn.close();
  }
});

test('on FerretDB/SQLite the secondary indexes an earlier version made are dropped; elsewhere they stay', async () => {
  const conn = await mongoose.createConnection(process.env.TEST_MONGODB_URI!, { dbName: `t_indexes_old_${Date.now()}`, autoIndex: false }).asPromise();
  try {
    const schema = new Schema({ key: { type: String, unique: true }, at: Date, u: String });
    schema.index({ at: 1 });
    schema.index({ u: 1 });
    const Model = conn.model('IndexProbeOld', schema);
    await Model.createIndexes(); // what an earlier version created: every index
    const { onlyUnique } = await ensureIndexes(conn, [Model], [[Model, { u: 1 }]]);
    const names = (await Model.collection.listIndexes().toArray()).map((i) => i.name as string).sort();
    expect(names).toEqual(onlyUnique ? ['_id_', 'key_1', 'u_1'] : ['_id_', 'at_1', 'key_1', 'u_1']);
    await Model.create({ key: 'a' });
    await expect(Model.create({ key: 'a' })).rejects.toMatchObject({ code: 11000 });
  } finally {
    await conn.dropDatabase().catch(() => undefined);
    await conn.close();
  }
});
