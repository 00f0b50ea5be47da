/**
 * The one atomic primitive every "exactly once" decision here rests on: inserting a document whose unique
 * key may already exist. (FerretDB 1.24 runs conditional updates as unisolated read-modify-write; unique
 * inserts are atomic there and on MongoDB.)
 */
import mongoose, { type Model } from 'mongoose';

export const isDuplicateKey = (err: unknown): boolean => (err as { code?: number } | null)?.code === 11000;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any schema's model; the document is checked by mongoose
type AnyModel = Model<any>;

interface Rules { required: string[][]; enums: Array<[string[], Set<unknown>]>; /** Validators beyond those two (min, match, custom…): Model.validate runs them. */ others: boolean }

/** Whether a schema (or one nested in it) has validators other than required and enum. */
const hasOtherValidators = (schema: mongoose.Schema): boolean => Object.values(schema.paths).some((type) =>
  (type as unknown as { validators: Array<{ type?: string }> }).validators.some((v) => v.type !== 'required' && v.type !== 'enum')
  || (type.schema ? hasOtherValidators(type.schema) : false));

/** A schema's required paths and enumerated values, read once per model. */
const rulesByModel = new WeakMap<AnyModel, Rules>();
function rulesOf(model: AnyModel): Rules {
  let rules = rulesByModel.get(model);
  if (!rules) {
    rules = { required: [], enums: [], others: hasOtherValidators(model.schema) };
    for (const [path, type] of Object.entries(model.schema.paths)) {
      const options = type.options as { required?: unknown; enum?: unknown };
      if (options.required === true) rules.required.push(path.split('.'));
      if (Array.isArray(options.enum)) rules.enums.push([path.split('.'), new Set(options.enum)]);
    }
    rulesByModel.set(model, rules);
  }
  return rules;
}

const at = (doc: Record<string, unknown>, path: string[]): unknown =>
  path.reduce<unknown>((v, key) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined), doc);

/**
 * The document as mongoose would store it (cast, defaults, timestamps; required paths and enums checked),
 * built on the plain object: `Model.create` builds a full mongoose document and runs its save machinery, and
 * `Model.validate` casts again and walks every path, which made mongoose the largest single share of the
 * service's CPU per action under load (README, "Performance"). Casting still refuses malformed values; a schema
 * with other validators (min, match, custom) is checked by Model.validate in insertStored (test/unit/storable.test.ts
 * holds the result to Model.create's).
 */
export function storable(model: AnyModel, doc: Record<string, unknown>): Record<string, unknown> {
  const raw = model.castObject(doc) as Record<string, unknown>;
  model.applyDefaults(raw);
  model.applyTimestamps(raw);
  const { required, enums } = rulesOf(model);
  const problems: Array<[string, string]> = [
    ...required.filter((p) => at(raw, p) == null || at(raw, p) === '').map((p): [string, string] => [p.join('.'), 'is required']),
    ...enums.filter(([p, allowed]) => at(raw, p) != null && !allowed.has(at(raw, p))).map(([p]): [string, string] => [p.join('.'), 'is not one of its allowed values']),
  ];
  if (problems.length) {
    const error = new mongoose.Error.ValidationError();
    for (const [path, message] of problems) error.addError(path, new mongoose.Error.ValidatorError({ path, message: `${model.modelName}.${path} ${message}` }));
    throw error;
  }
  return raw;
}

/** Inserts one document as mongoose would store it, through the driver; returns what was stored. */
export async function insertStored(model: AnyModel, doc: Record<string, unknown>): Promise<Record<string, unknown>> {
  const stored = storable(model, doc);
  if (rulesOf(model).others) await model.validate(stored);
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
