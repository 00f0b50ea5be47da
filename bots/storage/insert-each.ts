/**
 * Several unique inserts in one database command: `insertOnce` for a batch. Each document is its own atomic
 * insert (unordered, so one duplicate does not stop the rest); the answer says which ones this call inserted.
 */
import type { Model } from 'mongoose';
import { insertOnce, isDuplicateKey } from '../../src/storage/insert-once.js';

type Doc = Record<string, unknown> & { _id: string };

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any schema's model; the documents are checked by mongoose
export async function insertEach(model: Model<any>, docs: Doc[]): Promise<Set<string>> {
  if (docs.length === 0) return new Set();
  if (docs.length === 1) return (await insertOnce(model, docs[0]!)) ? new Set([docs[0]!._id]) : new Set();
  const inserted = new Set(docs.map((d) => d._id));
  try {
    await model.insertMany(docs, { ordered: false });
  } catch (err) {
    const writeErrors = (err as { writeErrors?: Array<{ index: number; code?: number; err?: { code?: number } }> }).writeErrors;
    if (!writeErrors?.length) throw err;
    for (const w of writeErrors) {
      if (!isDuplicateKey({ code: w.code ?? w.err?.code })) throw err;
      inserted.delete(docs[w.index]!._id);
    }
  }
  return inserted;
}
