/**
 * One schema per entity. Every query the code runs has an index here. Space-owned entities carry spaceId
 * so reads are scoped by it; a provider's menu (MenuItem, MenuModifier) is reached through its provider,
 * which carries the spaceId. Money is integer cents. Only features both MongoDB ≥ 6 and
 * FerretDB 1.24 support: no transactions, change streams, $lookup/$facet or TTL indexes.
 */
import mongoose, { Schema, type InferSchemaType } from 'mongoose';
import { ACTION_STATUSES, INTEGRATION_TYPES } from '../engine/types.js';

const { model } = mongoose;
const opts = { timestamps: true, versionKey: false } as const;

/**
 * Writes to configuration collections (providers, items, menus, integrations, secrets) are announced so the
 * in-process config cache (config-cache.ts) drops what it holds. Health bookkeeping on integrations is not a
 * configuration change.
 */
const configWriteListeners: Array<() => void> = [];
export function onConfigWrite(listener: () => void): void {
  configWriteListeners.push(listener);
}
const QUERY_WRITES = ['updateOne', 'updateMany', 'findOneAndUpdate', 'replaceOne', 'deleteOne', 'deleteMany', 'findOneAndDelete', 'findOneAndReplace'] as const;
function announceWrites(schema: Schema): void {
  const announce = () => { for (const l of configWriteListeners) l(); };
  schema.post(QUERY_WRITES as never, function (this: { getUpdate?: () => Record<string, unknown> | null }) {
    const update = this.getUpdate?.() ?? null;
    const paths = update ? Object.entries(update).flatMap(([k, v]) => (k.startsWith('$') && v && typeof v === 'object' ? Object.keys(v) : [k])) : [];
    if (paths.length && paths.every((p) => p.startsWith('health'))) return;
    announce();
  });
  schema.post('save', announce);
  schema.post('insertMany' as never, announce);
}

const SpaceSchema = new Schema({ name: { type: String, required: true } }, opts);
export const Space = model('Space', SpaceSchema);

/** API keys are stored as SHA-256 hashes; the plain key is shown once, at creation. */
const ApiKeySchema = new Schema({
  _id: { type: String, required: true }, // sha256 hex of the key
  spaceId: { type: Schema.Types.ObjectId, required: true, index: true },
  label: { type: String, default: 'default' },
  prefix: { type: String, required: true },
}, opts);
export const ApiKey = model('ApiKey', ApiKeySchema);

const ProviderSchema = new Schema({
  spaceId: { type: Schema.Types.ObjectId, required: true },
  name: { type: String, required: true },
  timezone: { type: String, required: true },
  currency: { type: String, required: true, default: 'USD' },
  orderPrefix: { type: String, required: true },
  contactEmail: { type: String, default: null },
  /** Shown to operators on manual task cards (they may phone the order in). */
  contactPhone: { type: String, default: null },
  prepMinutes: { type: Number, default: 10 },
  /** Order numbers start after this one (orderPrefix-(orderCounter+1)); see OrderNumberAllocation. */
  orderCounter: { type: Number, default: 1000 },
  /** Overrides the default api → webhook → email → manual order of integration types. */
  chainOrder: { type: [String], default: undefined },
  /** The menu readers see: MenuItem/MenuModifier rows of this version (null = rows written before versions). */
  catalogVersion: { type: String, default: null },
}, opts);
ProviderSchema.index({ spaceId: 1, name: 1 });
announceWrites(ProviderSchema);
export const Provider = model('Provider', ProviderSchema);

const IntegrationSchema = new Schema({
  spaceId: { type: Schema.Types.ObjectId, required: true },
  providerId: { type: Schema.Types.ObjectId, required: true },
  type: { type: String, enum: INTEGRATION_TYPES, required: true },
  /** The handler that serves it (e.g. "square", "email"). */
  name: { type: String, required: true },
  priority: { type: Number, required: true },
  enabled: { type: Boolean, default: true },
  config: { type: Schema.Types.Mixed, default: {} },
  /** What operators need to see: the last failure that needs a person (bad token, bad mapping) and the last success. */
  health: {
    lastError: { code: { type: String, default: null }, message: { type: String, default: null }, at: { type: Date, default: null }, actionId: { type: String, default: null } },
    lastSuccessAt: { type: Date, default: null },
  },
}, { ...opts, minimize: false });
IntegrationSchema.index({ providerId: 1, priority: 1 });
announceWrites(IntegrationSchema);
export const Integration = model('Integration', IntegrationSchema);

/** Secrets live apart from integrations so no API projection of an integration can leak them. */
const IntegrationSecretSchema = new Schema({
  _id: { type: Schema.Types.ObjectId, required: true }, // integration id
  values: { type: Schema.Types.Mixed, default: {} },
}, { ...opts, minimize: false });
announceWrites(IntegrationSecretSchema);
export const IntegrationSecret = model('IntegrationSecret', IntegrationSecretSchema);

/** A listing in a space (what the client's itemId points at), linked to the provider that fulfils it. */
const ItemSchema = new Schema({
  spaceId: { type: Schema.Types.ObjectId, required: true },
  providerId: { type: Schema.Types.ObjectId, required: true },
  name: { type: String, required: true },
  actionTypes: { type: [String], default: ['order'] },
}, opts);
ItemSchema.index({ spaceId: 1 });
announceWrites(ItemSchema);
export const Item = model('Item', ItemSchema);

const MenuItemSchema = new Schema({
  providerId: { type: Schema.Types.ObjectId, required: true },
  /** Which catalog upload this row belongs to (Provider.catalogVersion points at the current one). */
  catalogVersion: { type: String, default: null },
  sku: { type: String, required: true },
  name: { type: String, required: true },
  aliases: { type: [String], default: [] },
  priceCents: { type: Number, required: true, min: 0, validate: Number.isInteger },
  category: { type: String, default: null },
  available: { type: Boolean, default: true },
  /** Provider-side ids, e.g. { square: "<variation id>" }. */
  externalIds: { type: Schema.Types.Mixed, default: {} },
}, { ...opts, minimize: false });
MenuItemSchema.index({ providerId: 1, catalogVersion: 1, sku: 1 }, { unique: true });
announceWrites(MenuItemSchema);
export const MenuItem = model('MenuItem', MenuItemSchema);

const MenuModifierSchema = new Schema({
  providerId: { type: Schema.Types.ObjectId, required: true },
  catalogVersion: { type: String, default: null },
  modId: { type: String, required: true },
  name: { type: String, required: true },
  aliases: { type: [String], default: [] },
  priceCents: { type: Number, required: true, min: 0, validate: Number.isInteger },
  externalIds: { type: Schema.Types.Mixed, default: {} },
}, { ...opts, minimize: false });
MenuModifierSchema.index({ providerId: 1, catalogVersion: 1, modId: 1 }, { unique: true });
announceWrites(MenuModifierSchema);
export const MenuModifier = model('MenuModifier', MenuModifierSchema);

/** Unique indexes from before catalog versions: they would refuse a new version's rows, so start drops them. */
export const RETIRED_INDEXES = [
  { model: MenuItem, name: 'providerId_1_sku_1' },
  { model: MenuModifier, name: 'providerId_1_modId_1' },
] as const;

const PricedModifierSchema = new Schema({ id: String, name: String, priceCents: Number }, { _id: false });
const PricedLineSchema = new Schema({
  sku: String, name: String, quantity: Number, unitPriceCents: Number,
  modifiers: [PricedModifierSchema], lineTotalCents: Number, externalIds: Schema.Types.Mixed,
}, { _id: false });

const ChainEntrySchema = new Schema({
  integrationId: { type: Schema.Types.ObjectId, default: null },
  type: String,
  name: String,
}, { _id: false });

/**
 * The fields of an action that change as its chain runs (the transition log writes them: on ActionLive while
 * the action is live, in the final Action document when it is done; src/storage/action-state.ts).
 */
export const actionStateFields = {
  status: { type: String, enum: ACTION_STATUSES, required: true, default: 'queued' },
  /** Where the chain stands: ready (a step is due), running (a worker holds the step's lease), awaiting, done. */
  phase: { type: String, enum: ['ready', 'running', 'awaiting', 'done'], default: 'ready' },
  chainIndex: { type: Number, default: 0 },
  attempt: { type: Number, default: 1 },
  /** Position in the action's transition log: transition N is the Transition document `${actionId}:N`. */
  stepSeq: { type: Number, default: 0 },
  /** When the current step's job is due; the sweeper re-enqueues steps whose job was lost. */
  nextStepAt: { type: Date, default: null },
  awaitingExecutionId: { type: String, default: null },
  confirmDeadlineAt: { type: Date, default: null },
  /** Until when the worker running the step holds it (renewed while it runs); after that another takes it over. */
  leaseUntil: { type: Date, default: null },
  /**
   * When a worker next has something to do for this action, whatever the phase: a ready step's nextStepAt, a
   * running step's leaseUntil (takeover), an awaited step's confirmDeadlineAt (timeout); null when nothing is
   * due. One plain range query on it finds all due work (FerretDB runs `$or` queries slowly). See action-state.ts.
   */
  wakeAt: { type: Date, default: null },
  orderNumber: { type: String, default: null },
  externalRef: { type: String, default: null },
  error: { type: String, default: null },
  fulfillment: { type: String, default: null },
  completedAt: { type: Date, default: null },
  /**
   * The ids of the executions this action started (each step's claim adds its own), so the transition that ends
   * it moves them by _id: on FerretDB a query by actionId reads every live execution. Absent on actions created
   * before this field: their executions are looked up by actionId.
   */
  executionIds: { type: [String], default: undefined },
} as const;

/** What was asked: fixed when the action is created. */
const actionRequestFields = {
  spaceId: { type: Schema.Types.ObjectId, required: true },
  userId: { type: String, required: true },
  itemId: { type: Schema.Types.ObjectId, required: true },
  providerId: { type: Schema.Types.ObjectId, required: true },
  type: { type: String, required: true },
  /** The request as the client sent it (customer_phone removed: it lives in order.customerPhone only). */
  parameters: { type: Schema.Types.Mixed, default: {} },
  order: {
    lines: [PricedLineSchema],
    totalCents: Number,
    currency: String,
    pickupAt: { type: Date, default: null },
    customerName: { type: String, default: null },
    customerPhone: { type: String, default: null },
    specialInstructions: { type: String, default: null },
  },
  origin: { channel: { type: String, default: 'api' }, ref: { type: Schema.Types.Mixed, default: null } },
  idempotencyKey: { type: String, default: null },
  /** The handler chain, fixed when the action was created. */
  chain: [ChainEntrySchema],
};

/**
 * An action lives in one of two collections (src/storage/action-state.ts reads both: live first):
 * - ActionLive while it is not done: the whole document, so the hot path reads and writes only this small
 *   collection (on FerretDB 1.24 every find, update and delete scans its collection, see the README);
 * - Action once it is done: the final document, written by one insert (the transition that ends it), then
 *   changed only by the rare event after the end (a provider's "ready" or "cancelled").
 */
const ActionSchema = new Schema({ ...actionRequestFields, ...actionStateFields }, { ...opts, minimize: false });
ActionSchema.index({ spaceId: 1, _id: -1 });
ActionSchema.index({ spaceId: 1, status: 1, _id: -1 });
ActionSchema.index({ providerId: 1, externalRef: 1 });
ActionSchema.index({ spaceId: 1, orderNumber: 1 });
ActionSchema.index({ spaceId: 1, userId: 1, _id: -1 }); // a customer's latest actions (the chat's "where's my order")
export const Action = model('Action', ActionSchema);
export type ActionDoc = InferSchemaType<typeof ActionSchema> & { _id: mongoose.Types.ObjectId };

const ActionLiveSchema = new Schema({
  _id: { type: Schema.Types.ObjectId, required: true },
  ...actionRequestFields,
  ...actionStateFields,
}, { ...opts, minimize: false });
ActionLiveSchema.index({ spaceId: 1, status: 1, _id: -1 });
ActionLiveSchema.index({ wakeAt: 1 });
ActionLiveSchema.index({ providerId: 1 });
export const ActionLive = model('ActionLive', ActionLiveSchema);

/** Same key + same body → same action; the _id is `${spaceId}:${key}` so the claim is one atomic insert. */
const IdempotencyRecordSchema = new Schema({
  _id: { type: String, required: true },
  requestHash: { type: String, required: true },
  actionId: { type: Schema.Types.ObjectId, required: true },
}, opts);
IdempotencyRecordSchema.index({ createdAt: 1 });
export const IdempotencyRecord = model('IdempotencyRecord', IdempotencyRecordSchema);

/** One attempt of one handler. _id = `${actionId}:${chainIndex}:${attempt}` makes the record idempotent. */
const ActionExecutionSchema = new Schema({
  _id: { type: String, required: true },
  actionId: { type: Schema.Types.ObjectId, required: true },
  spaceId: { type: Schema.Types.ObjectId, required: true },
  integrationId: { type: Schema.Types.ObjectId, default: null },
  handlerType: { type: String, required: true },
  handlerName: { type: String, required: true },
  chainIndex: { type: Number, required: true },
  attempt: { type: Number, required: true },
  idempotencyKey: { type: String, required: true },
  status: { type: String, enum: ['running', 'completed', 'awaiting', 'retrying', 'failed', 'skipped', 'declined', 'timed_out'], required: true },
  /** How many times this attempt was started (more than 1 means a worker died mid-step). */
  runs: { type: Number, default: 1 },
  startedAt: { type: Date, required: true },
  finishedAt: { type: Date, default: null },
  durationMs: { type: Number, default: null },
  error: { code: { type: String, default: null }, message: { type: String, default: null } },
  externalRef: { type: String, default: null },
  /** The handler's result, so a re-run after a crash applies it instead of calling out again. */
  result: { type: Schema.Types.Mixed, default: null },
}, { ...opts, minimize: false });
ActionExecutionSchema.index({ actionId: 1, chainIndex: 1, attempt: 1 });
/**
 * Like actions, executions are kept in a small collection while their action is live (the engine inserts and
 * updates them there) and moved to ActionExecution, by inserts, when it is done (src/storage/executions.ts).
 */
export const ActionExecution = model('ActionExecution', ActionExecutionSchema);
export const ActionExecutionLive = model('ActionExecutionLive', ActionExecutionSchema.clone());
export type ExecutionDoc = InferSchemaType<typeof ActionExecutionSchema> & { _id: string };

const ReceiptSchema = new Schema({
  actionId: { type: Schema.Types.ObjectId, required: true, unique: true },
  spaceId: { type: Schema.Types.ObjectId, required: true },
  receiptNumber: { type: String, required: true },
  status: { type: String, default: 'issued' },
  data: { type: Schema.Types.Mixed, required: true },
}, opts);
export const Receipt = model('Receipt', ReceiptSchema);

const ActionStatusUpdateSchema = new Schema({
  _id: { type: String, required: true }, // `${actionId}:${seq}` of the transition that wrote it: one per transition
  actionId: { type: Schema.Types.ObjectId, required: true },
  spaceId: { type: Schema.Types.ObjectId, required: true },
  status: { type: String, required: true },
  message: { type: String, required: true },
  timestamp: { type: Date, required: true },
  /** The events as broadcast, so another process (ROLE=api) can replay them to sockets. */
  events: { type: [Schema.Types.Mixed], default: [] },
}, { versionKey: false });
ActionStatusUpdateSchema.index({ actionId: 1, timestamp: 1 });
ActionStatusUpdateSchema.index({ timestamp: 1 });
export const ActionStatusUpdate = model('ActionStatusUpdate', ActionStatusUpdateSchema);

const ManualTaskSchema = new Schema({
  _id: { type: String, required: true }, // the execution id: one task per execution
  actionId: { type: Schema.Types.ObjectId, required: true },
  spaceId: { type: Schema.Types.ObjectId, required: true },
  providerId: { type: Schema.Types.ObjectId, required: true },
  /** cancelled: the customer cancelled the action while the task was open or claimed. */
  status: { type: String, enum: ['open', 'claimed', 'completed', 'failed', 'cancelled'], default: 'open' },
  summary: { type: String, required: true },
  details: { type: Schema.Types.Mixed, default: {} },
  operatorId: { type: String, default: null },
  /** Claim round: a release ends round n and the next claim is round n+1 (Claim `manual-task:<id>:claim:<n>`). */
  round: { type: Number, default: 0 },
  /** When the task was last put up for claiming (created or released): the nudge counts from here. */
  openedAt: { type: Date, default: null },
  claimedAt: { type: Date, default: null },
  completedAt: { type: Date, default: null },
  failedAt: { type: Date, default: null },
  cancelledAt: { type: Date, default: null },
  orderNumber: { type: String, default: null },
  readyInMinutes: { type: Number, default: null },
  note: { type: String, default: null },
  failureReason: { type: String, default: null },
  customerMessage: { type: String, default: null },
}, opts);
ManualTaskSchema.index({ spaceId: 1, status: 1, createdAt: 1 });
ManualTaskSchema.index({ status: 1, openedAt: 1 });
ManualTaskSchema.index({ actionId: 1 });
export const ManualTask = model('ManualTask', ManualTaskSchema);

/** Dedupe record for outbound notifications (SMS): written before the vendor call. */
const NotificationSchema = new Schema({
  _id: { type: String, required: true }, // dedupe key
  actionId: { type: Schema.Types.ObjectId, default: null },
  channel: { type: String, required: true },
  event: { type: String, required: true },
  toMasked: { type: String, default: null },
  status: { type: String, default: 'sending' },
  externalId: { type: String, default: null },
  error: { type: String, default: null },
  deliveryStatus: { type: String, default: null },
  deliveryErrorCode: { type: String, default: null },
  /** When the current sender claimed the send (renewed by a takeover of a stale claim). */
  claimedAt: { type: Date, default: null },
  takeovers: { type: Number, default: 0 },
}, opts);
NotificationSchema.index({ externalId: 1 });
export const Notification = model('Notification', NotificationSchema);

/**
 * The provider's id for an order (Square order id...), recorded the moment the provider returns it, before the
 * step's result is saved: an event about that order can arrive before the action is done, and must find it.
 * _id = `${providerId}:${externalRef}` (a unique insert; finds by _id stay fast on FerretDB).
 */
const ExternalRefSchema = new Schema({
  _id: { type: String, required: true },
  actionId: { type: Schema.Types.ObjectId, required: true },
}, opts);
export const ExternalRef = model('ExternalRef', ExternalRefSchema);

/** Inbound webhook event ids already processed (Square event_id...). */
const ProcessedEventSchema = new Schema({ _id: { type: String, required: true } }, { ...opts, versionKey: false });
ProcessedEventSchema.index({ createdAt: 1 });
export const ProcessedEvent = model('ProcessedEvent', ProcessedEventSchema);

/**
 * The action's transition log. Inserting `${actionId}:${seq}` (unique _id) is the only way to move an action
 * from seq to seq+1; the plan stored here is then applied (and re-applied by anyone who finds it unapplied).
 * Conditional updates are not atomic on FerretDB 1.24 (read-modify-write), unique inserts are; so every
 * decision that must happen once is an insert.
 */
const TransitionSchema = new Schema({
  _id: { type: String, required: true },
  actionId: { type: Schema.Types.ObjectId, required: true },
  seq: { type: Number, required: true },
  plan: { type: Schema.Types.Mixed, required: true },
}, { timestamps: { createdAt: true, updatedAt: false }, versionKey: false, minimize: false });
TransitionSchema.index({ createdAt: 1 });
TransitionSchema.index({ actionId: 1 });
export const Transition = model('Transition', TransitionSchema);

/** Order numbers: each (provider, n) is claimed by one insert; each action keeps the first number it got. */
const OrderNumberAllocationSchema = new Schema({
  _id: { type: String, required: true }, // `${providerId}:${n}`
  providerId: { type: Schema.Types.ObjectId, required: true },
  n: { type: Number, required: true },
}, { versionKey: false });
OrderNumberAllocationSchema.index({ providerId: 1, n: -1 });
export const OrderNumberAllocation = model('OrderNumberAllocation', OrderNumberAllocationSchema);

/** Where the last allocation was, per provider: a hint only (updates may be lost), allocation probes from it. */
const OrderCounterHintSchema = new Schema({ _id: { type: Schema.Types.ObjectId, required: true }, n: { type: Number, required: true } }, { versionKey: false });
export const OrderCounterHint = model('OrderCounterHint', OrderCounterHintSchema);

const OrderNumberSchema = new Schema({
  _id: { type: Schema.Types.ObjectId, required: true }, // action id
  orderNumber: { type: String, required: true },
}, { versionKey: false });
OrderNumberSchema.index({ orderNumber: 1 });
export const OrderNumber = model('OrderNumber', OrderNumberSchema);

/** One-time decisions outside the action log (an operator claiming a task...): the first insert wins. */
const ClaimSchema = new Schema({ _id: { type: String, required: true }, by: { type: String, default: null } }, { timestamps: true, versionKey: false });
export const Claim = model('Claim', ClaimSchema);

/**
 * Who works a space's manual tasks: the members of its operator channel, or an explicit list when one is set.
 * Operator ids are platform ids (`slack:<team>:<user>`).
 */
const OperatorSettingsSchema = new Schema({
  _id: { type: Schema.Types.ObjectId, required: true }, // the space id
  channel: {
    platform: { type: String, enum: ['slack'], default: 'slack' },
    /** The workspace (Slack team id) the channel belongs to; null = the space's only connected workspace. */
    workspaceId: { type: String, default: null },
    id: { type: String, default: null },
  },
  /** null = every member of the channel is an operator. */
  operators: { type: [String], default: null },
}, { ...opts, minimize: false });
OperatorSettingsSchema.index({ 'channel.platform': 1, 'channel.id': 1 });
OperatorSettingsSchema.index({ 'channel.platform': 1, 'channel.workspaceId': 1 });
export const OperatorSettings = model('OperatorSettings', OperatorSettingsSchema);

/**
 * The secondary indexes FerretDB on SQLite gets besides the unique ones (db/indexes.ts): single fields looked up
 * by equality in collections that grow with history, which our FerretDB build reads through such an index
 * (db/ferretdb-src/rouh_prefilter.go). Without them, "where's my order" and "is DC-1547 ready" read every stored action.
 */
export const SQLITE_LOOKUP_INDEXES: ReadonlyArray<readonly [mongoose.Model<any>, Record<string, 1>]> = [ // eslint-disable-line @typescript-eslint/no-explicit-any
  [Action, { userId: 1 }],
  [Action, { orderNumber: 1 }],
  [OrderNumber, { orderNumber: 1 }],
];

export const ALL_MODELS = [ActionLive, ActionExecutionLive, Transition, OrderNumberAllocation, OrderCounterHint, OrderNumber, Claim, Space, ApiKey, Provider, Integration, IntegrationSecret, Item, MenuItem, MenuModifier, Action,
  IdempotencyRecord, ActionExecution, Receipt, ActionStatusUpdate, ManualTask, OperatorSettings, Notification, ProcessedEvent, ExternalRef];

// ---- plain shapes of documents as read with .lean() (for services and serializers)

export interface Timestamps { createdAt?: Date; updatedAt?: Date }

export interface ProviderDoc extends Timestamps {
  _id: mongoose.Types.ObjectId;
  spaceId: mongoose.Types.ObjectId;
  name: string;
  timezone: string;
  currency: string;
  orderPrefix: string;
  contactEmail?: string | null;
  contactPhone?: string | null;
  prepMinutes?: number | null;
  chainOrder?: string[] | null;
}

export interface IntegrationDoc extends Timestamps {
  _id: mongoose.Types.ObjectId;
  providerId: mongoose.Types.ObjectId;
  type: string;
  name: string;
  priority: number;
  enabled?: boolean | null;
  config?: unknown;
  health?: { lastError?: { code?: string | null; message?: string | null; at?: Date | null; actionId?: string | null } | null; lastSuccessAt?: Date | null } | null;
}


