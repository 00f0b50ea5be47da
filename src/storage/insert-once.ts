/**
 * The one atomic primitive every "exactly once" decision here rests on: inserting a document whose unique
 * key may already exist. (FerretDB 1.24 runs conditional updates as unisolated read-modify-write; unique
 * inserts are atomic there and on MongoDB.)
 */
import type { Model } from 'mongoose';

export const isDuplicateKey = (err: unknown): boolean => (err as { code?: number } | null)?.code === 11000;

/** True when this call inserted the document; false when one with the same unique key already existed. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any schema's model; the document is checked by mongoose
export async function insertOnce(model: Model<any>, doc: Record<string, unknown>): Promise<boolean> {
  try {
    await model.create(doc);
    return true;
  } catch (err) {
    if (isDuplicateKey(err)) return false;
    throw err;
  }
}
