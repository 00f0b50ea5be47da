/**
 * Integration onboarding for a provider: create / patch / delete, write-only secrets, secret rotation and
 * the production probe. What each handler accepts (integration type, config schema, secret names and
 * formats, generated secrets) comes from its manifest, so a new handler needs nothing here.
 * Secret values are never logged nor returned (except a generated secret, once, by rotateGeneratedSecret).
 */
import type mongoose from 'mongoose';
import { z } from 'zod';
import { RequestError, badRequest, conflict, fromZod, notFound } from '../engine/errors.js';
import type { ProbeResult } from '../engine/integration-probe.js';
import type { HandlerRegistry } from '../engine/registry.js';
import type { IntegrationType } from '../engine/types.js';
import { Integration, IntegrationSecret, type IntegrationDoc } from '../storage/models.js';
import { isObjectId, loadProvider, type SpaceScope } from './providers.js';

/** An integration and the *names* of its stored secrets (values never leave the store through here). */
export interface IntegrationRecord { integration: IntegrationDoc; secretNames: string[] }

export interface NewIntegration { type: IntegrationType; name: string; priority: number; enabled: boolean; config: Record<string, unknown> }
export interface IntegrationPatch { priority?: number; enabled?: boolean; /** Replaces the whole config. */ config?: Record<string, unknown> }

/** Per-integration retry override, applied by HandlerRegistry.retryPolicy (config.retry). */
const RetryOverride = z.strictObject({
  maxAttempts: z.number().int().min(1).max(20),
  initialDelayMs: z.number().int().min(0).max(3_600_000),
  factor: z.number().min(1).max(10),
  maxDelayMs: z.number().int().min(0).max(86_400_000),
}).partial();

/** Keys that look like credentials do not belong in config (config is returned by GET; secrets never are). */
const SECRET_LIKE_KEY = /secret|token|password|passwd|api[-_]?key|signature[-_]?key|private[-_]?key/i;

/** Mongo field names must not start with $ or contain dots (FerretDB rejects them): a 400, not a 500. */
function checkStorableKeys(value: unknown, path: string): void {
  if (Array.isArray(value)) { value.forEach((v, i) => checkStorableKeys(v, `${path}[${i}]`)); return; }
  if (!value || typeof value !== 'object') return;
  for (const [k, v] of Object.entries(value)) {
    if (k.startsWith('$') || k.includes('.') || k === '') throw badRequest('validation_failed', `${path}: key "${k}" must not be empty, start with $ or contain a dot`, path);
    checkStorableKeys(v, `${path}.${k}`);
  }
}

const namesOf = (values: unknown): string[] =>
  Object.entries((values ?? {}) as Record<string, unknown>).filter(([, v]) => typeof v === 'string' && v !== '').map(([k]) => k);

/** Secret *names* per integration id (values are read only to list their keys and are dropped here). */
async function secretNames(ids: mongoose.Types.ObjectId[]): Promise<Map<string, string[]>> {
  const docs = ids.length ? await IntegrationSecret.find({ _id: { $in: ids } }).lean() : [];
  return new Map(docs.map((d) => [d._id.toString(), namesOf(d.values)]));
}

export class IntegrationService {
  constructor(private readonly deps: { registry: HandlerRegistry; probe(integrationId: string, spaceId: string): Promise<ProbeResult> }) {}

  private validateConfig(handlerName: string, config: Record<string, unknown>): void {
    for (const key of Object.keys(config)) {
      if (SECRET_LIKE_KEY.test(key)) {
        throw badRequest('secret_in_config', `config.${key}: secrets are write-only; store them with PUT .../secrets instead of in config`, `config.${key}`);
      }
    }
    checkStorableKeys(config, 'config');
    const schema = this.deps.registry.manifest(handlerName)?.configSchema;
    if (schema) {
      const r = schema.safeParse(config);
      if (!r.success) throw fromZod(r.error, 'config');
    }
    if (config.retry !== undefined) {
      const r = RetryOverride.safeParse(config.retry);
      if (!r.success) throw fromZod(r.error, 'config.retry');
    }
  }

  private async load(scope: SpaceScope, providerId: string, integrationId: string): Promise<IntegrationDoc> {
    const provider = await loadProvider(scope, providerId);
    if (!isObjectId(integrationId)) throw notFound('integration');
    const integration = await Integration.findOne({ _id: integrationId, providerId: provider._id, spaceId: scope.spaceId }).lean<IntegrationDoc>();
    if (!integration) throw notFound('integration');
    return integration;
  }

  private async record(id: mongoose.Types.ObjectId): Promise<IntegrationRecord> {
    const integration = await Integration.findById(id).lean<IntegrationDoc>();
    if (!integration) throw notFound('integration');
    return { integration, secretNames: (await secretNames([integration._id])).get(integration._id.toString()) ?? [] };
  }

  async list(scope: SpaceScope, providerId: string): Promise<IntegrationRecord[]> {
    const provider = await loadProvider(scope, providerId);
    const docs = await Integration.find({ providerId: provider._id, spaceId: scope.spaceId }).sort({ priority: 1, _id: 1 }).lean<IntegrationDoc[]>();
    const names = await secretNames(docs.map((d) => d._id));
    return docs.map((integration) => ({ integration, secretNames: names.get(integration._id.toString()) ?? [] }));
  }

  async create(scope: SpaceScope, providerId: string, input: NewIntegration): Promise<IntegrationRecord> {
    const provider = await loadProvider(scope, providerId);
    const manifest = this.deps.registry.manifest(input.name);
    if (!manifest) {
      throw badRequest('unknown_handler', `name: no handler "${input.name}"; registered handlers: ${this.deps.registry.names().join(', ')}`, 'name');
    }
    if (manifest.integrationType !== input.type) {
      throw badRequest('handler_type_mismatch', `type: handler "${input.name}" serves "${manifest.integrationType}" integrations, not "${input.type}"`, 'type');
    }
    this.validateConfig(input.name, input.config);
    // The chain uses a provider's first manual integration only; a second one would never run.
    if (input.type === 'manual' && (await Integration.exists({ providerId: provider._id, type: 'manual' }))) {
      throw conflict('manual_integration_exists', 'this provider already has a manual integration; PATCH it instead');
    }
    const created = await Integration.create({ spaceId: scope.spaceId, providerId: provider._id, ...input });
    return this.record(created._id);
  }

  async update(scope: SpaceScope, providerId: string, integrationId: string, patch: IntegrationPatch): Promise<IntegrationRecord> {
    const integration = await this.load(scope, providerId, integrationId);
    if (patch.config !== undefined) this.validateConfig(integration.name, patch.config);
    const $set: Record<string, unknown> = {};
    if (patch.priority !== undefined) $set.priority = patch.priority;
    if (patch.enabled !== undefined) $set.enabled = patch.enabled;
    if (patch.config !== undefined) $set.config = patch.config;
    if (Object.keys($set).length) await Integration.updateOne({ _id: integration._id, spaceId: scope.spaceId }, { $set });
    return this.record(integration._id);
  }

  async remove(scope: SpaceScope, providerId: string, integrationId: string): Promise<void> {
    const integration = await this.load(scope, providerId, integrationId);
    await Integration.deleteOne({ _id: integration._id, spaceId: scope.spaceId });
    await IntegrationSecret.deleteOne({ _id: integration._id });
  }

  /**
   * Merges secret values; `null` removes one. Each name must be a field of the handler's secrets schema and
   * each value must pass it (400 naming `values.<name>`; the message never repeats the value).
   */
  async setSecrets(scope: SpaceScope, providerId: string, integrationId: string, values: Record<string, string | null>): Promise<IntegrationRecord> {
    const integration = await this.load(scope, providerId, integrationId);
    const schema = this.deps.registry.manifest(integration.name)?.secretsSchema;
    if (schema) {
      const fields = schema.shape as Record<string, z.ZodType>;
      const allowed = Object.keys(fields);
      for (const [name, value] of Object.entries(values)) {
        const field = fields[name];
        if (!field) {
          const hint = allowed.length ? `the ${integration.name} handler reads: ${allowed.join(', ')}` : `the ${integration.name} handler takes no secrets`;
          throw badRequest('unknown_secret', `values.${name}: unknown secret; ${hint}`, `values.${name}`);
        }
        const checked = value === null ? null : field.safeParse(value);
        if (checked && !checked.success) {
          throw badRequest('invalid_secret', `values.${name}: ${checked.error.issues[0]?.message ?? 'invalid'}`, `values.${name}`);
        }
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
    return this.record(integration._id);
  }

  /**
   * Generates the handler's generated secret (the webhook signing secret, whsec_…) and stores it, replacing
   * the previous one immediately. The returned value is the ONLY time it is shown: the caller must hand it
   * to the provider now.
   */
  async rotateGeneratedSecret(scope: SpaceScope, providerId: string, integrationId: string): Promise<IntegrationRecord & { name: string; value: string }> {
    const integration = await this.load(scope, providerId, integrationId);
    const generated = this.deps.registry.manifest(integration.name)?.generatedSecret;
    if (!generated) throw new RequestError(400, 'not_a_webhook_integration', `the ${integration.name} handler has no generated secret (webhook integrations have a signing secret)`);
    const value = generated.generate();
    await IntegrationSecret.updateOne({ _id: integration._id }, { $set: { [`values.${generated.name}`]: value } }, { upsert: true });
    return { ...(await this.record(integration._id)), name: generated.name, value };
  }

  /** Runs the production probe (one test order through the handler); the result says whether it works. */
  async probe(scope: SpaceScope, providerId: string, integrationId: string): Promise<ProbeResult> {
    const integration = await this.load(scope, providerId, integrationId);
    return this.deps.probe(integration._id.toString(), scope.spaceId);
  }
}
