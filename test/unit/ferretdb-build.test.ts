/** Our FerretDB build: the source patches apply exactly or stop the build, lookups by _id use the _id index, and narrowed filters keep their results. */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { MongoClient, ObjectId } from 'mongodb';
import { applyPatches, FERRET_FILES, FERRET_PATCHES } from '../../src/db/ferretdb.js';

/** A source tree where each patched file holds, for each of its patches, `text(patch)`. */
async function sourceWith(text: (p: (typeof FERRET_PATCHES)[number]) => string): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ferret-patch-'));
  for (const file of new Set(FERRET_PATCHES.map((p) => p.file))) {
    await fs.mkdir(path.dirname(path.join(dir, file)), { recursive: true });
    await fs.writeFile(path.join(dir, file), FERRET_PATCHES.filter((p) => p.file === file).map(text).join('\n'));
  }
  return dir;
}

test('each patch replaces its text once; a source where it is missing or repeated stops the build', async () => {
  const ok = await sourceWith((p) => `const (\n\t${p.from}\n)\n`);
  await applyPatches(ok);
  for (const p of FERRET_PATCHES) expect(await fs.readFile(path.join(ok, p.file), 'utf8')).toContain(`const (\n\t${p.to}\n)\n`);
  // The original text is gone, except where a patch keeps it inside its replacement (code added around it).
  const times = (text: string, part: string) => text.split(part).length - 1;
  for (const p of FERRET_PATCHES) expect(times(await fs.readFile(path.join(ok, p.file), 'utf8'), p.from)).toBe(times(p.to, p.from));
  // Whole added files land beside the code that calls them.
  for (const f of FERRET_FILES) expect(await fs.readFile(path.join(ok, f.file), 'utf8')).toMatch(/^package /m);
  await expect(applyPatches(await sourceWith(() => 'package metadata\n'))).rejects.toThrow(/found 0 times/);
  await expect(applyPatches(await sourceWith((p) => `${p.from}\n${p.from}\n`))).rejects.toThrow(/found 2 times/);
});

test('a find by _id on the test database uses the _id index, not a scan of the collection', async () => {
  const client = await new MongoClient(process.env.TEST_MONGODB_URI!).connect();
  try {
    const docs = client.db(`t_idindex_${Date.now()}`).collection<{ _id: string; n: number }>('docs');
    await docs.insertMany(Array.from({ length: 50 }, (_, n) => ({ _id: `d${n}`, n })));
    const plan = JSON.stringify(await docs.find({ _id: 'd7' }).explain());
    // FerretDB reports SQLite's plan ("SEARCH … USING INDEX …_id_"); mongod an id lookup stage.
    expect(plan).toMatch(/USING INDEX \S+__id_|IDHACK|EXPRESS_IXSCAN|IXSCAN/);
    expect(plan).not.toMatch(/detail=SCAN /);
    expect(await docs.findOne({ _id: 'd7' })).toEqual({ _id: 'd7', n: 7 });
  } finally {
    await client.close();
  }
});

test('a filter with _id and other fields reads only that document, and still applies every condition', async () => {
  const client = await new MongoClient(process.env.TEST_MONGODB_URI!).connect();
  try {
    const docs = client.db(`t_idplus_${Date.now()}`).collection<{ _id: string; n: number; seq: number }>('docs');
    await docs.insertMany(Array.from({ length: 50 }, (_, n) => ({ _id: `d${n}`, n, seq: 0 })));
    const plan = JSON.stringify(await docs.find({ _id: 'd7', seq: 0 }).explain());
    expect(plan).toMatch(/USING INDEX \S+__id_|IDHACK|EXPRESS_IXSCAN|IXSCAN/);
    expect(plan).not.toMatch(/detail=SCAN /);
    expect(await docs.findOne({ _id: 'd7', seq: 0 })).toEqual({ _id: 'd7', n: 7, seq: 0 });
    expect(await docs.findOne({ _id: 'd7', seq: 1 })).toBeNull();
    // The conditional update an action's transition makes: only the document with that _id AND that seq changes.
    expect((await docs.updateOne({ _id: 'd7', seq: 1 }, { $set: { n: -1 } })).matchedCount).toBe(0);
    expect((await docs.updateOne({ _id: 'd7', seq: 0 }, { $set: { seq: 1 } })).modifiedCount).toBe(1);
    expect((await docs.deleteOne({ _id: 'd8', seq: 1 })).deletedCount).toBe(0);
    expect((await docs.deleteOne({ _id: 'd8', seq: 0 })).deletedCount).toBe(1);
    expect(await docs.find({ $or: [{ seq: 1 }, { n: 8 }] }, { projection: { _id: 1 } }).toArray()).toEqual([{ _id: 'd7' }]);
  } finally {
    await client.close();
  }
});

test.each([false, true])('filters on string and ObjectId fields (narrowed by SQLite first; through single-field indexes: %s) match exactly what MongoDB matches', async (indexed) => {
  const client = await new MongoClient(process.env.TEST_MONGODB_URI!).connect();
  try {
    const docs = client.db(`t_prefilter_${indexed}_${Date.now()}`).collection<Record<string, unknown> & { _id: number }>('docs');
    if (indexed) for (const field of ['u', 'o', 'tags', 's']) await docs.createIndex({ [field]: 1 });
    const oid = new ObjectId();
    await docs.insertMany([
      { _id: 1, u: 'sam', o: oid, tags: ['a', 'b'], n: 5 },
      { _id: 2, u: 'Sam', o: oid.toHexString(), tags: 'a', n: '5' },
      { _id: 3, u: ['sam', 'x'], o: new ObjectId(), tags: ['c', 'a'], n: null },
      { _id: 4, u: 'ünï "q" <&>\\', o: null, tags: [] },
      { _id: 5, nested: { u: 'sam' } },
      { _id: 6, u: 'sam', s: 'x' },
      { _id: 7, u: '[sam]', s: ['x'] },
    ]);
    const ids = async (filter: Record<string, unknown>) => (await docs.find(filter).sort({ _id: 1 }).toArray()).map((d) => d._id);
    expect(await ids({ u: 'sam' })).toEqual([1, 3, 6]); // an array holding the value matches too
    expect(await ids({ o: oid })).toEqual([1]); // an ObjectId is not its hex string
    expect(await ids({ o: oid.toHexString() })).toEqual([2]);
    expect(await ids({ tags: 'a' })).toEqual([1, 2, 3]);
    expect(await ids({ u: 'ünï "q" <&>\\' })).toEqual([4]);
    expect(await ids({ u: 'sam', s: 'x' })).toEqual([6]);
    expect(await ids({ s: 'x' })).toEqual([6, 7]);
    expect(await ids({ u: '[sam]' })).toEqual([7]); // a string that reads like an array is a string
    expect(await ids({ 'nested.u': 'sam' })).toEqual([5]);
    expect(await ids({ u: 'sam', n: 5 })).toEqual([1]);
    expect(await ids({ u: 'sam', _id: { $gt: 1 } })).toEqual([3, 6]);
    expect(await ids({ u: 'nobody' })).toEqual([]);
    expect((await docs.updateMany({ u: 'sam' }, { $set: { touched: true } })).modifiedCount).toBe(3);
    expect(await ids({ touched: true })).toEqual([1, 3, 6]);
    expect((await docs.deleteMany({ tags: 'a' })).deletedCount).toBe(3);
    expect(await ids({})).toEqual([4, 5, 6, 7]);
  } finally {
    await client.close();
  }
});

test('an equality on a field with a single-field index reads the index, not the whole collection', async () => {
  const client = await new MongoClient(process.env.TEST_MONGODB_URI!).connect();
  try {
    const docs = client.db(`t_lookup_${Date.now()}`).collection<{ _id: number; userId: string; spaceId: ObjectId }>('docs');
    await docs.createIndex({ userId: 1 });
    const spaceId = new ObjectId();
    await docs.insertMany(Array.from({ length: 200 }, (_, n) => ({ _id: n, userId: `slack:T1:U${n % 20}`, spaceId })));
    // The chat's "where's my order": a customer's latest actions in a space.
    const query = { spaceId, userId: 'slack:T1:U7' };
    const plan = JSON.stringify(await docs.find(query).sort({ _id: -1 }).limit(5).explain());
    expect(plan).toMatch(/USING INDEX \S+_userId_1|IXSCAN/);
    expect(plan).not.toMatch(/detail=SCAN /);
    expect((await docs.find(query).sort({ _id: -1 }).limit(5).toArray()).map((d) => d._id)).toEqual([187, 167, 147, 127, 107]);
    // A value that JSON writes with escapes is looked up without the index, and still found.
    await docs.insertOne({ _id: 999, userId: 'ünï <&>', spaceId });
    expect((await docs.find({ userId: 'ünï <&>' }).toArray()).map((d) => d._id)).toEqual([999]);
  } finally {
    await client.close();
  }
});
