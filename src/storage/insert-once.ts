/**
 * The one atomic primitive every "exactly once" decision here rests on: inserting a document whose unique
 * key may already exist. (FerretDB 1.24 runs conditional updates as unisolated read-modify-write; unique
 * inserts are atomic there and on MongoDB.)
 */
import type { Model } from 'mongoose';

export const isDuplicateKey = (err: unknown): boolean => (err as { code?: number } | null)?.code === 11000;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any schema's model; the document is checked by mongoose
type AnyModel = Model<any>;

/**
 * The document as mongoose would store it (cast, defaults, timestamps, validated against the schema), built on
 * the plain object: `Model.create` builds a full mongoose document and runs its save machinery, which was the
 * largest single share of the service's CPU per action under load (README, "Performance").
 */
export async function storable(model: AnyModel, doc: Record<string, unknown>): Promise<Record<string, unknown>> {
  const raw = model.castObject(doc) as Record<string, unknown>;
  model.applyDefaults(raw);
  model.applyTimestamps(raw);
  await model.validate(raw); // checks only: the copy it returns leaves out null defaults
  return raw;
}

/** Inserts one document as mongoose would store it, through the driver; returns what was stored. */
export async function insertStored(model: AnyModel, doc: Record<string, unknown>): Promise<Record<string, unknown>> {
  const stored = await storable(model, doc);
  await model.collection.insertOne(stored);
  return stored;
}

/** True when this call inserted the document; false when one with the same unique key already existed. */
export async function insertOnce(model: AnyModel, doc: Record<string, unknown>): Promise<boolean> {
  try {
    await insertStored(model, doc);
    return true;
  } catch (err) {
    if (isDuplicateKey(err)) return false;
    throw err;
  }
}
