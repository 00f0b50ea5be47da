/**
 * Hot-path inserts skip mongoose documents (src/storage/insert-once.ts): what they store must be what
 * `Model.create` would have stored, and a document the schema refuses must still be refused.
 */
import mongoose, { Schema } from 'mongoose';
import { insertOnce, storable } from '../../src/storage/insert-once.js';
import { ActionExecutionLive, ActionLive, ActionStatusUpdate, Claim, Receipt, Transition } from '../../src/storage/models.js';

const oid = () => new mongoose.Types.ObjectId();
const now = new Date('2026-11-30T12:00:00Z');

/** What `Model.create(doc)` sends to the driver: the validated document as a plain object. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any model
async function asCreateStores(model: mongoose.Model<any>, doc: Record<string, unknown>) {
  const d = new model(doc);
  await d.validate();
  const at = new Date();
  if (model.schema.options.timestamps) { d.set('createdAt', at); d.set('updatedAt', at); }
  return { stored: d.toObject({ depopulate: true, flattenMaps: false, versionKey: false }), at };
}

const spaceId = oid();
const cases: Array<[string, mongoose.Model<any>, () => Record<string, unknown>]> = [ // eslint-disable-line @typescript-eslint/no-explicit-any
  ['an action as created', ActionLive, () => ({
    _id: oid(), spaceId: spaceId.toString(), userId: 'u1', itemId: oid(), providerId: oid(), type: 'order',
    parameters: { items: [{ name: 'Latte', quantity: 2, modifications: ['oat milk'] }], customer_name: 'Sam', pickup_time: '8:15' },
    order: {
      lines: [{ sku: 'latte', name: 'Latte', quantity: 2, unitPriceCents: 450, modifiers: [{ id: 'oat', name: 'Oat milk', priceCents: 50 }], lineTotalCents: 1000, externalIds: { square: 'V1' } }],
      totalCents: 1000, currency: 'USD', pickupAt: now, customerName: 'Sam', customerPhone: '+15555550100', specialInstructions: null,
    },
    status: 'queued', origin: { channel: 'slack', ref: { channel: 'C1', ts: '1.2' } }, idempotencyKey: null,
    chain: [{ integrationId: oid(), type: 'api', name: 'Square' }, { integrationId: null, type: 'manual', name: 'manual' }],
    nextStepAt: now, wakeAt: now, executionIds: [],
  })],
  ['an execution', ActionExecutionLive, () => ({
    _id: 'a:0:1', actionId: oid(), spaceId, integrationId: oid(), handlerType: 'api', handlerName: 'Square', chainIndex: 0, attempt: 1,
    idempotencyKey: 'a:0:1', status: 'running', startedAt: now, runs: 1,
  })],
  ['a status update', ActionStatusUpdate, () => ({ _id: 'a:1', actionId: oid().toString(), spaceId, status: 'executing', message: 'Sending to Square', timestamp: now, events: [{ type: 'action.status', status: 'executing' }] })],
  ['a receipt', Receipt, () => ({ _id: oid(), actionId: oid(), spaceId, status: 'issued', receiptNumber: 'DC-1001', data: { total: '$10.00', lines: [] } })],
  ['a transition', Transition, () => ({ _id: 'a:1', actionId: oid(), seq: 1, plan: { status: 'executing', nested: { list: [1, 2] } } })],
  ['a claim', Claim, () => ({ _id: 'claim:1' })],
];

describe('storable: what a hot-path insert stores', () => {
  test.each(cases)('%s is stored as Model.create would store it', async (_label, model, make) => {
    const doc = make();
    const lean = storable(model, doc);
    const { stored } = await asCreateStores(model, doc);
    // Timestamps are taken at different instants; everything else must match exactly, types included.
    for (const o of [lean, stored]) { if ('createdAt' in o) { expect(o.createdAt).toBeInstanceOf(Date); o.createdAt = o.updatedAt = 'at'; } }
    expect(lean).toEqual(stored);
    expect(lean._id).toEqual(stored._id);
    if ('actionId' in lean) expect(lean.actionId).toBeInstanceOf(mongoose.Types.ObjectId);
  });

  test('a document the schema refuses is refused: a missing required field, a value outside its enum, a malformed id', async () => {
    const base = cases[1]![2]();
    expect(() => storable(ActionExecutionLive, { ...base, handlerName: undefined })).toThrow(/handlerName/);
    expect(() => storable(ActionExecutionLive, { ...base, status: 'exploded' })).toThrow(/status/);
    expect(() => storable(ActionExecutionLive, { ...base, actionId: 'not-an-id' })).toThrow(/actionId/);
  });

  test('fields outside the schema are not stored (as with mongoose strict mode)', async () => {
    const stored = storable(Claim, { _id: 'c', by: 'me', smuggled: true });
    expect(stored).not.toHaveProperty('smuggled');
    expect(stored.by).toBe('me');
  });
});

test('a schema with other validators (a minimum, a custom check) still has them run before the insert', async () => {
  const conn = await mongoose.createConnection(process.env.TEST_MONGODB_URI!, { dbName: `t_storable_${Date.now()}` }).asPromise();
  try {
    const Priced = conn.model('PricedProbe', new Schema({ _id: String, cents: { type: Number, required: true, min: 0, validate: Number.isInteger } }));
    await expect(insertOnce(Priced, { _id: 'a', cents: -1 })).rejects.toThrow(/cents/);
    await expect(insertOnce(Priced, { _id: 'b', cents: 1.5 })).rejects.toThrow(/cents/);
    expect(await insertOnce(Priced, { _id: 'c', cents: 150 })).toBe(true);
    expect(await insertOnce(Priced, { _id: 'c', cents: 150 })).toBe(false);
    expect(await Priced.find().lean()).toEqual([{ _id: 'c', cents: 150 }]);
  } finally {
    await conn.dropDatabase().catch(() => undefined);
    await conn.close();
  }
});
