/**
 * Provider onboarding for a space: providers (+ the listing Item clients order against), the catalog in the
 * parser's import format, handler integrations and their write-only secrets. Everything is scoped by
 * req.spaceId; another space's ids and malformed ids are 404. Admin edits: one writer per provider is
 * expected, so plain updates are used (no conditional updates: they are not atomic on FerretDB).
 * Request bodies are never logged: secret values pass through here.
 */
import { Router } from 'express';
import type mongoose from 'mongoose';
import { z } from 'zod';
import { EmailIntegrationConfig } from '../../../handlers/email/config.js';
import { squareConfigSchema } from '../../../handlers/square/config.js';
import { webhookConfigSchema } from '../../../handlers/webhook/config.js';
import { generateWebhookSecret, isValidWebhookSecret } from '../../../handlers/webhook/signing.js';
import { RequestError, badRequest, conflict, notFound } from '../../engine/errors.js';
import type { IntegrationType } from '../../engine/types.js';
import { Integration, IntegrationSecret, Item, MenuItem, MenuModifier, Provider } from '../../storage/models.js';
import { fromZod } from '../errors.js';
import { objectId } from '../schemas.js';
import { serializeCatalog, serializeIntegration, serializeProvider, type IntegrationDoc, type ProviderDoc } from '../serialize-provider.js';

/** What POST .../integrations/:id/test answers (the probe itself is injected: see deps.testIntegration). */
import type { TestResult } from '../../engine/test-integration.js';

export type { TestResult };

export interface ProvidersRouterDeps {
  now: () => Date;
  testIntegration: (integrationId: string, spaceId: string) => Promise<TestResult>;
  /** Names of the registered handlers (HandlerRegistry.names()); an integration must name one of them. */
  handlerNames: string[];
}

const INTEGRATION_TYPES = ['api', 'webhook', 'email', 'manual'] as const satisfies readonly IntegrationType[];

/** The built-in handlers: the integration type each serves, its config schema and the secrets it reads. */
const BUILTIN: Record<string, { type: IntegrationType; config: z.ZodType; secrets: readonly string[] }> = {
  square: { type: 'api', config: squareConfigSchema, secrets: ['accessToken', 'webhookSignatureKey'] },
  webhook: { type: 'webhook', config: webhookConfigSchema, secrets: ['signingSecret'] },
  email: { type: 'email', config: EmailIntegrationConfig, secrets: [] },
  manual: { type: 'manual', config: z.object({}), secrets: [] },
};

// ---------------------------------------------------------------------------------------------- schemas

const timeZone = z.string().trim().min(1).max(64).transform((tz, ctx) => {
  try {
    // Canonical spelling ("america/new_york" → "America/New_York"); throws RangeError for unknown zones.
    return new Intl.DateTimeFormat(undefined, { timeZone: tz }).resolvedOptions().timeZone;
  } catch {
    ctx.addIssue({ code: 'custom', message: 'must be an IANA time zone such as America/New_York' });
    return z.NEVER;
  }
});

const KNOWN_CURRENCIES = new Set(Intl.supportedValuesOf('currency'));
const currency = z.string().superRefine((c, ctx) => {
  if (!/^[A-Z]{3}$/.test(c) || !KNOWN_CURRENCIES.has(c)) {
    ctx.addIssue({ code: 'custom', message: 'must be an ISO 4217 currency code such as USD' });
  } else if (new Intl.NumberFormat('en-US', { style: 'currency', currency: c }).resolvedOptions().maximumFractionDigits !== 2) {
    // Money is integer cents and formatted as cents / 100 everywhere (engine/money.ts).
    ctx.addIssue({ code: 'custom', message: `${c} is not supported: prices are integer cents, so the currency must have 2 decimal places` });
  }
});

const ProviderFields = {
  name: z.string().trim().min(1).max(120),
  timezone: timeZone,
  currency,
  orderPrefix: z.string().regex(/^[A-Z]{1,6}$/, 'must be 1-6 capital letters such as DC'),
  contactEmail: z.email(),
  prepMinutes: z.number().int('must be a whole number of minutes').min(0).max(240),
  chainOrder: z.array(z.enum(INTEGRATION_TYPES)).min(1).max(4)
    .refine((a) => new Set(a).size === a.length, 'must not repeat an integration type'),
};

const CreateProvider = z.strictObject({
  ...ProviderFields,
  contactEmail: ProviderFields.contactEmail.optional(),
  prepMinutes: ProviderFields.prepMinutes.default(10),
  chainOrder: ProviderFields.chainOrder.optional(),
});

/** Partial; null clears contactEmail and chainOrder (back to the default api → webhook → email → manual). */
const PatchProvider = z.strictObject({
  name: ProviderFields.name.optional(),
  timezone: ProviderFields.timezone.optional(),
  currency: ProviderFields.currency.optional(),
  orderPrefix: ProviderFields.orderPrefix.optional(),
  contactEmail: ProviderFields.contactEmail.nullable().optional(),
  prepMinutes: ProviderFields.prepMinutes.optional(),
  chainOrder: ProviderFields.chainOrder.nullable().optional(),
});

const cents = z.number().int('must be whole cents (an integer)').min(0, 'must not be negative').max(100_000_000);
const externalIds = z.record(z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be letters, digits, _ or -'), z.string().min(1).max(200)).optional();
const aliases = z.array(z.string().trim().min(1).max(200)).max(100).default([]);

/** The parser's catalog import format (see catalog-cafe.json); a `provider` block is accepted and ignored. */
const CatalogBody = z.object({
  items: z.array(z.object({
    sku: z.string().trim().min(1).max(100),
    name: z.string().trim().min(1).max(200),
    aliases,
    price_cents: cents,
    category: z.string().trim().max(100).nullable().optional(),
    external_ids: externalIds,
  })).min(1, 'at least one item is required').max(5000),
  modifiers: z.array(z.object({
    id: z.string().trim().min(1).max(100),
    name: z.string().trim().min(1).max(200),
    aliases,
    price_cents: cents.default(0),
    external_ids: externalIds,
  })).max(1000).default([]),
});

const priority = z.number().int('must be a whole number').min(0).max(1_000_000);
const configObject = z.record(z.string(), z.unknown());

const CreateIntegration = z.strictObject({
  type: z.enum(INTEGRATION_TYPES),
  name: z.string().trim().min(1).max(60),
  priority,
  enabled: z.boolean().default(true),
  config: configObject.default({}),
});

const PatchIntegration = z.strictObject({
  priority: priority.optional(),
  enabled: z.boolean().optional(),
  config: configObject.optional(),
});

/** Per-integration retry override read by HandlerRegistry.retryPolicy (config.retry). */
const RetryOverride = z.strictObject({
  maxAttempts: z.number().int().min(1).max(20),
  initialDelayMs: z.number().int().min(0).max(3_600_000),
  factor: z.number().min(1).max(10),
  maxDelayMs: z.number().int().min(0).max(86_400_000),
}).partial();

const SECRET_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
/** `null` removes a secret. */
const SecretsBody = z.strictObject({
  values: z.record(z.string().regex(SECRET_NAME, 'secret names are letters, digits and _'), z.string().min(1).max(8192).nullable())
    .refine((v) => Object.keys(v).length > 0, 'at least one secret is required'),
});

/** Keys that look like credentials do not belong in config (config is returned by GET; secrets never are). */
const SECRET_LIKE_KEY = /secret|token|password|passwd|api[-_]?key|signature[-_]?key|private[-_]?key/i;

// ---------------------------------------------------------------------------------------------- helpers

/** Zod → 400 naming the field; unknown top-level fields are named too (typos fail instead of being dropped). */
function parse<T>(schema: z.ZodType<T>, body: unknown, prefix = ''): T {
  const r = schema.safeParse(body ?? {});
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  if (issue.code === 'unrecognized_keys') {
    const field = [prefix, ...issue.path.map(String), issue.keys[0]].filter(Boolean).join('.');
    throw new RequestError(400, 'unknown_field', `${field}: unknown field`, field);
  }
  throw fromZod(r.error, prefix);
}

/** Mongo field names must not start with $ or contain dots (FerretDB rejects them): a 400, not a 500. */
function checkStorableKeys(value: unknown, path: string): void {
  if (Array.isArray(value)) { value.forEach((v, i) => checkStorableKeys(v, `${path}[${i}]`)); return; }
  if (!value || typeof value !== 'object') return;
  for (const [k, v] of Object.entries(value)) {
    if (k.startsWith('$') || k.includes('.') || k === '') throw badRequest('validation_failed', `${path}: key "${k}" must not be empty, start with $ or contain a dot`, path);
    checkStorableKeys(v, `${path}.${k}`);
  }
}

function validateConfig(handlerName: string, config: Record<string, unknown>): void {
  for (const key of Object.keys(config)) {
    if (SECRET_LIKE_KEY.test(key)) {
      throw badRequest('secret_in_config', `config.${key}: secrets are write-only; store them with PUT .../secrets instead of in config`, `config.${key}`);
    }
  }
  checkStorableKeys(config, 'config');
  const schema = BUILTIN[handlerName]?.config;
  if (schema) {
    const r = schema.safeParse(config);
    if (!r.success) throw fromZod(r.error, 'config');
  }
  if (config.retry !== undefined) {
    const r = RetryOverride.safeParse(config.retry);
    if (!r.success) throw fromZod(r.error, 'config.retry');
  }
}

const isObjectId = (id: string) => objectId.safeParse(id).success;

async function loadProvider(id: string, spaceId: string): Promise<ProviderDoc> {
  if (!isObjectId(id)) throw notFound('provider');
  const provider = await Provider.findOne({ _id: id, spaceId }).lean<ProviderDoc>();
  if (!provider) throw notFound('provider');
  return provider;
}

async function loadIntegration(providerId: string, integrationId: string, spaceId: string): Promise<IntegrationDoc> {
  const provider = await loadProvider(providerId, spaceId);
  if (!isObjectId(integrationId)) throw notFound('integration');
  const integration = await Integration.findOne({ _id: integrationId, providerId: provider._id, spaceId }).lean<IntegrationDoc>();
  if (!integration) throw notFound('integration');
  return integration;
}

const namesOf = (values: unknown): string[] =>
  Object.entries((values ?? {}) as Record<string, unknown>).filter(([, v]) => typeof v === 'string' && v !== '').map(([k]) => k);

/** Secret *names* per integration id (values are read only to list their keys and are dropped here). */
async function secretNames(ids: mongoose.Types.ObjectId[]): Promise<Map<string, string[]>> {
  const docs = ids.length ? await IntegrationSecret.find({ _id: { $in: ids } }).lean() : [];
  return new Map(docs.map((d) => [d._id.toString(), namesOf(d.values)]));
}

async function integrationView(id: mongoose.Types.ObjectId) {
  const doc = await Integration.findById(id).lean<IntegrationDoc>();
  if (!doc) throw notFound('integration');
  return serializeIntegration(doc, (await secretNames([doc._id])).get(doc._id.toString()) ?? []);
}

async function itemIdsFor(spaceId: string, providerIds: mongoose.Types.ObjectId[]): Promise<Map<string, string[]>> {
  const items = providerIds.length ? await Item.find({ spaceId, providerId: { $in: providerIds } }, { _id: 1, providerId: 1 }).sort({ _id: 1 }).lean() : [];
  const map = new Map<string, string[]>();
  for (const it of items) {
    const key = it.providerId.toString();
    map.set(key, [...(map.get(key) ?? []), it._id.toString()]);
  }
  return map;
}

async function providerView(provider: ProviderDoc, spaceId: string) {
  return serializeProvider(provider, (await itemIdsFor(spaceId, [provider._id])).get(provider._id.toString()) ?? []);
}

/** First duplicate (case-insensitive, as the pricing lookup is) → its index. */
function firstDuplicate(keys: string[]): number {
  const seen = new Set<string>();
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!.toLowerCase();
    if (seen.has(k)) return i;
    seen.add(k);
  }
  return -1;
}

// ---------------------------------------------------------------------------------------------- routes

export function providersRouter(deps: ProvidersRouterDeps): Router {
  const router = Router();
  const handlerNames = new Set(deps.handlerNames);

  // ---- providers

  router.post('/providers', async (req, res) => {
    const body = parse(CreateProvider, req.body);
    const spaceId = req.spaceId!;
    const created = await Provider.create({ spaceId, ...body, contactEmail: body.contactEmail ?? null });
    let itemId: mongoose.Types.ObjectId;
    try {
      // The listing clients order against (POST /actions { itemId }).
      itemId = (await Item.create({ spaceId, providerId: created._id, name: body.name, actionTypes: ['order'] }))._id;
    } catch (err) {
      await Provider.deleteOne({ _id: created._id }).catch(() => undefined);
      throw err;
    }
    req.log.info({ providerId: created._id.toString(), itemId: itemId.toString() }, 'provider created');
    const provider = (await Provider.findById(created._id).lean<ProviderDoc>())!;
    res.status(201).json({ provider: serializeProvider(provider, [itemId.toString()]), itemId: itemId.toString() });
  });

  router.get('/providers', async (req, res) => {
    const spaceId = req.spaceId!;
    const providers = await Provider.find({ spaceId }).sort({ _id: 1 }).limit(500).lean<ProviderDoc[]>();
    const items = await itemIdsFor(spaceId, providers.map((p) => p._id));
    res.json({ providers: providers.map((p) => serializeProvider(p, items.get(p._id.toString()) ?? [])) });
  });

  router.get('/providers/:id', async (req, res) => {
    const provider = await loadProvider(req.params.id, req.spaceId!);
    res.json({ provider: await providerView(provider, req.spaceId!) });
  });

  router.patch('/providers/:id', async (req, res) => {
    const provider = await loadProvider(req.params.id, req.spaceId!);
    const body = parse(PatchProvider, req.body);
    const $set: Record<string, unknown> = {};
    const $unset: Record<string, 1> = {};
    for (const [key, value] of Object.entries(body)) {
      if (value === undefined) continue;
      if (value === null && key === 'chainOrder') $unset.chainOrder = 1;
      else $set[key] = value;
    }
    if (Object.keys($set).length || Object.keys($unset).length) {
      await Provider.updateOne({ _id: provider._id, spaceId: req.spaceId }, { ...(Object.keys($set).length ? { $set } : {}), ...(Object.keys($unset).length ? { $unset } : {}) });
    }
    const updated = (await Provider.findOne({ _id: provider._id, spaceId: req.spaceId }).lean<ProviderDoc>())!;
    res.json({ provider: await providerView(updated, req.spaceId!) });
  });

  // ---- catalog

  router.get('/providers/:id/catalog', async (req, res) => {
    const provider = await loadProvider(req.params.id, req.spaceId!);
    const [items, modifiers] = await Promise.all([
      MenuItem.find({ providerId: provider._id }).sort({ _id: 1 }).lean(),
      MenuModifier.find({ providerId: provider._id }).sort({ _id: 1 }).lean(),
    ]);
    res.json(serializeCatalog(provider, items, modifiers));
  });

  /**
   * Replaces the whole menu. Everything is validated before the first write, so a rejected upload leaves the
   * current menu untouched. Provider-side ids (externalIds, e.g. Square variation ids) of skus/modifier ids
   * that survive the upload are kept unless the upload sends `external_ids` for them.
   */
  router.put('/providers/:id/catalog', async (req, res) => {
    const provider = await loadProvider(req.params.id, req.spaceId!);
    const body = parse(CatalogBody, req.body);
    const dupSku = firstDuplicate(body.items.map((i) => i.sku));
    if (dupSku !== -1) throw badRequest('duplicate_sku', `duplicate sku "${body.items[dupSku]!.sku}"`, `items[${dupSku}].sku`);
    const dupMod = firstDuplicate(body.modifiers.map((m) => m.id));
    if (dupMod !== -1) throw badRequest('duplicate_modifier_id', `duplicate modifier id "${body.modifiers[dupMod]!.id}"`, `modifiers[${dupMod}].id`);

    const providerId = provider._id;
    const [oldItems, oldMods] = await Promise.all([
      MenuItem.find({ providerId }, { sku: 1, externalIds: 1 }).lean(),
      MenuModifier.find({ providerId }, { modId: 1, externalIds: 1 }).lean(),
    ]);
    const keptItemIds = new Map(oldItems.map((m) => [m.sku, m.externalIds ?? {}]));
    const keptModIds = new Map(oldMods.map((m) => [m.modId, m.externalIds ?? {}]));
    const itemDocs = body.items.map((i) => ({
      providerId, sku: i.sku, name: i.name, aliases: i.aliases, priceCents: i.price_cents, category: i.category ?? null,
      available: true, externalIds: i.external_ids ?? keptItemIds.get(i.sku) ?? {},
    }));
    const modDocs = body.modifiers.map((m) => ({
      providerId, modId: m.id, name: m.name, aliases: m.aliases, priceCents: m.price_cents,
      externalIds: m.external_ids ?? keptModIds.get(m.id) ?? {},
    }));
    // Validate the documents against the models too, before anything is deleted.
    for (const doc of itemDocs) await new MenuItem(doc).validate();
    for (const doc of modDocs) await new MenuModifier(doc).validate();

    // No transactions on FerretDB: delete + insert, per collection, back to back.
    await MenuItem.deleteMany({ providerId });
    await MenuItem.insertMany(itemDocs, { ordered: true });
    await MenuModifier.deleteMany({ providerId });
    if (modDocs.length) await MenuModifier.insertMany(modDocs, { ordered: true });
    req.log.info({ providerId: providerId.toString(), items: itemDocs.length, modifiers: modDocs.length }, 'catalog replaced');

    const [items, modifiers] = await Promise.all([
      MenuItem.find({ providerId }).sort({ _id: 1 }).lean(),
      MenuModifier.find({ providerId }).sort({ _id: 1 }).lean(),
    ]);
    res.json(serializeCatalog(provider, items, modifiers));
  });

  // ---- integrations

  router.get('/providers/:id/integrations', async (req, res) => {
    const provider = await loadProvider(req.params.id, req.spaceId!);
    const docs = await Integration.find({ providerId: provider._id, spaceId: req.spaceId }).sort({ priority: 1, _id: 1 }).lean<IntegrationDoc[]>();
    const names = await secretNames(docs.map((d) => d._id));
    res.json({ integrations: docs.map((d) => serializeIntegration(d, names.get(d._id.toString()) ?? [])) });
  });

  router.post('/providers/:id/integrations', async (req, res) => {
    const provider = await loadProvider(req.params.id, req.spaceId!);
    const body = parse(CreateIntegration, req.body);
    if (!handlerNames.has(body.name)) {
      throw badRequest('unknown_handler', `name: no handler "${body.name}"; registered handlers: ${[...handlerNames].join(', ')}`, 'name');
    }
    const builtin = BUILTIN[body.name];
    if (builtin && builtin.type !== body.type) {
      throw badRequest('handler_type_mismatch', `type: handler "${body.name}" serves "${builtin.type}" integrations, not "${body.type}"`, 'type');
    }
    validateConfig(body.name, body.config);
    // The chain uses a provider's first manual integration only; a second one would never run.
    if (body.type === 'manual' && (await Integration.exists({ providerId: provider._id, type: 'manual' }))) {
      throw conflict('manual_integration_exists', 'this provider already has a manual integration; PATCH it instead');
    }
    const created = await Integration.create({
      spaceId: req.spaceId, providerId: provider._id, type: body.type, name: body.name,
      priority: body.priority, enabled: body.enabled, config: body.config,
    });
    req.log.info({ providerId: provider._id.toString(), integrationId: created._id.toString(), handler: body.name }, 'integration created');
    res.status(201).json({ integration: await integrationView(created._id) });
  });

  router.patch('/providers/:id/integrations/:integrationId', async (req, res) => {
    const integration = await loadIntegration(req.params.id, req.params.integrationId, req.spaceId!);
    const body = parse(PatchIntegration, req.body);
    if (body.config !== undefined) validateConfig(integration.name, body.config);
    const $set: Record<string, unknown> = {};
    if (body.priority !== undefined) $set.priority = body.priority;
    if (body.enabled !== undefined) $set.enabled = body.enabled;
    if (body.config !== undefined) $set.config = body.config; // replaces the whole config
    if (Object.keys($set).length) await Integration.updateOne({ _id: integration._id, spaceId: req.spaceId }, { $set });
    res.json({ integration: await integrationView(integration._id) });
  });

  router.delete('/providers/:id/integrations/:integrationId', async (req, res) => {
    const integration = await loadIntegration(req.params.id, req.params.integrationId, req.spaceId!);
    await Integration.deleteOne({ _id: integration._id, spaceId: req.spaceId });
    await IntegrationSecret.deleteOne({ _id: integration._id });
    req.log.info({ integrationId: integration._id.toString() }, 'integration deleted');
    res.status(204).end();
  });

  // ---- secrets (write-only)

  /** Merges secret values; `null` removes one. The response lists secret names only, never values. */
  router.put('/providers/:id/integrations/:integrationId/secrets', async (req, res) => {
    const integration = await loadIntegration(req.params.id, req.params.integrationId, req.spaceId!);
    const { values } = parse(SecretsBody, req.body);
    const allowed = BUILTIN[integration.name]?.secrets;
    for (const [name, value] of Object.entries(values)) {
      if (allowed && !allowed.includes(name)) {
        const hint = allowed.length ? `the ${integration.name} handler reads: ${allowed.join(', ')}` : `the ${integration.name} handler takes no secrets`;
        throw badRequest('unknown_secret', `values.${name}: unknown secret; ${hint}`, `values.${name}`);
      }
      if (integration.name === 'webhook' && name === 'signingSecret' && value !== null && !isValidWebhookSecret(value)) {
        throw badRequest('invalid_secret', 'values.signingSecret: must be a whsec_ secret of 24-64 random bytes (or generate one with POST .../secrets/rotate-webhook-secret)', 'values.signingSecret');
      }
    }
    const $set: Record<string, string> = {};
    const $unset: Record<string, 1> = {};
    for (const [name, value] of Object.entries(values)) {
      if (value === null) $unset[`values.${name}`] = 1;
      else $set[`values.${name}`] = value;
    }
    await IntegrationSecret.updateOne(
      { _id: integration._id },
      { ...(Object.keys($set).length ? { $set } : {}), ...(Object.keys($unset).length ? { $unset } : {}) },
      { upsert: true },
    );
    req.log.info({ integrationId: integration._id.toString(), secretNames: Object.keys(values) }, 'integration secrets updated');
    res.json({ integration: await integrationView(integration._id) });
  });

  /**
   * Generates a new Standard Webhooks signing secret (whsec_…) for a webhook integration and stores it,
   * replacing the previous one immediately. This response is the ONLY time the secret is ever shown: it is
   * write-only everywhere else (GETs list secret names only), so the caller must hand it to the provider now.
   */
  router.post('/providers/:id/integrations/:integrationId/secrets/rotate-webhook-secret', async (req, res) => {
    const integration = await loadIntegration(req.params.id, req.params.integrationId, req.spaceId!);
    if (integration.type !== 'webhook' || integration.name !== 'webhook') {
      throw badRequest('not_a_webhook_integration', 'only webhook integrations have a webhook signing secret');
    }
    const signingSecret = generateWebhookSecret();
    await IntegrationSecret.updateOne({ _id: integration._id }, { $set: { 'values.signingSecret': signingSecret } }, { upsert: true });
    req.log.info({ integrationId: integration._id.toString() }, 'webhook signing secret rotated');
    res.set('Cache-Control', 'no-store');
    res.json({ signingSecret, rotatedAt: deps.now().toISOString(), integration: await integrationView(integration._id) });
  });

  // ---- test

  /** Runs the injected probe; 200 with its result whether or not the integration works. */
  router.post('/providers/:id/integrations/:integrationId/test', async (req, res) => {
    const integration = await loadIntegration(req.params.id, req.params.integrationId, req.spaceId!);
    const result: TestResult = await deps.testIntegration(integration._id.toString(), req.spaceId!);
    res.json(result);
  });

  return router;
}
