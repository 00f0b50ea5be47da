/** Our FerretDB build: the source patches apply exactly or stop the build, and lookups by _id use the _id index. */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { applyPatches, FERRET_PATCHES } from '../../src/db/ferretdb.js';

async function sourceWith(text: (p: (typeof FERRET_PATCHES)[number]) => string): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ferret-patch-'));
  for (const p of FERRET_PATCHES) {
    await fs.mkdir(path.dirname(path.join(dir, p.file)), { recursive: true });
    await fs.writeFile(path.join(dir, p.file), text(p));
  }
  return dir;
}

test('each patch replaces its text once; a source where it is missing or repeated stops the build', async () => {
  const ok = await sourceWith((p) => `const (\n\t${p.from}\n)\n`);
  await applyPatches(ok);
  for (const p of FERRET_PATCHES) expect(await fs.readFile(path.join(ok, p.file), 'utf8')).toBe(`const (\n\t${p.to}\n)\n`);
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
