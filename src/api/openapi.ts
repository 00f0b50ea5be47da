/**
 * The OpenAPI 3.1 document, built by zod-openapi from the same zod schemas the routes validate requests
 * with (request side) and from response schemas that describe the serializers (response side). CI runs
 * Schemathesis against it (.ci/schemathesis.sh), so a route and its description cannot drift apart unseen.
 */
import type { RequestHandler } from 'express';
import { z } from 'zod';
import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiPathsObject, type ZodOpenApiResponsesObject } from 'zod-openapi';
import { ACTION_STATUSES, INTEGRATION_TYPES, ORIGIN_CHANNELS } from '../engine/types.js';
import { MANUAL_TASK_STATUSES } from '../services/manual-tasks.js';
import { CatalogBody, CreateIntegration, CreateProvider, PatchIntegration, PatchProvider, SecretsBody } from './provider-schemas.js';
import { CompleteTaskBody, CreateActionBody, CreateKeyBody, CreateSpaceBody, FailTaskBody, IdempotencyKeyHeader, ListActionsQuery, ListTasksQuery, OperatorBody, PutOperatorsBody, UserIdHeader } from './schemas.js';

// ---- shared pieces ----

export const ErrorBody = z.object({
  error: z.object({
    code: z.string().meta({ example: 'validation_failed' }),
    message: z.string().meta({ example: 'parameters.items: at least one item is required' }),
    field: z.string().optional().meta({ example: 'parameters.items' }),
  }),
}).meta({ id: 'Error', description: 'Every error: a stable code, a message for people, and the field at fault when there is one.' });

/** The 503 of the email's confirm/decline links. */
const EARLY_CLICK = 'The order is still being placed (the email arrived before its step was recorded, and 5 s passed); see Retry-After';
/** The 409 of the email's confirm/decline links. */
const LINK_CONFLICT = 'The order is no longer waiting for the café: `order_cancelled` when the customer cancelled it (nothing to prepare), else `already_handled`';

const ERROR_TEXT: Record<string, string> = {
  400: 'Bad request: a field, header or query parameter is invalid (named in `field`)',
  401: 'Missing or unknown credential',
  403: 'The credential does not give access to this (e.g. `x-space-id` is another space)',
  404: 'Not found (including another space\'s resources)',
  409: 'Conflict with the current state',
  410: 'Expired',
  413: 'Body larger than MAX_BODY_BYTES',
  415: 'Body sent without `Content-Type: application/json`',
  422: 'Idempotency-Key reused with a different body',
  429: 'Too many failed authentications from this address; see Retry-After',
};
export const json = (schema: z.ZodType) => ({ 'application/json': { schema } });
export function errors(...codes: number[]): ZodOpenApiResponsesObject {
  return Object.fromEntries(codes.map((c) => [String(c), { description: ERROR_TEXT[c] ?? 'Error', content: json(ErrorBody) }]));
}
/** Errors any authenticated JSON route can answer. */
const API_ERRORS = [400, 401, 403, 404, 413, 415];

export const isoDate = z.string().meta({ format: 'date-time' });
const id = z.string().regex(/^[a-f0-9]{24}$/).meta({ example: '6b0d4705018a9bde2a1d7cdc' });
export const pathId = (name: string, description: string) => z.object({ [name]: z.string().meta({ description, example: '6b0d4705018a9bde2a1d7cdc' }) });

// ---- response shapes (what src/api/serialize*.ts and the services return) ----

const Action = z.object({
  id, spaceId: id, userId: z.string(), itemId: id, providerId: id,
  type: z.string().meta({ example: 'order' }),
  parameters: z.record(z.string(), z.unknown()).meta({ description: 'The request as sent; customer_phone masked (+1***23)' }),
  status: z.enum(ACTION_STATUSES),
  fulfillment: z.enum(['ready', 'picked_up', 'cancelled']).nullable(),
  total: z.string().meta({ example: '$8.75' }),
  total_cents: z.number().int(),
  currency: z.string(),
  pickup_time: isoDate.nullable(),
  orderNumber: z.string().nullable(),
  externalRef: z.string().nullable(),
  origin: z.object({ channel: z.enum(ORIGIN_CHANNELS), ref: z.record(z.string(), z.string()).nullable() }),
  error: z.string().nullable(),
  trackingUrl: z.string().nullable().meta({ description: 'The customer\'s live order page (no API key needed)', example: 'http://127.0.0.1:3000/o/aw1HBQGKm94qHXzcLTnMIbwdJLA_LPfe1bN0Vw' }),
  createdAt: isoDate,
  updatedAt: isoDate,
}).meta({ id: 'Action' });

const Ledger = z.object({
  actionId: id, amount: z.string(), amount_cents: z.number().int(), currency: z.string(), status: z.literal('pending'),
}).meta({ id: 'LedgerEntry' });

const Receipt = z.object({
  receiptNumber: z.string(), status: z.string(), createdAt: isoDate,
  data: z.object({
    provider: z.string(), order_number: z.string(), total: z.string(), total_cents: z.number().int(), currency: z.string(),
    pickup_time: isoDate, ready_in_minutes: z.number(),
    items: z.array(z.object({ name: z.string(), quantity: z.number().int(), modifications: z.array(z.string()), price: z.string() })),
  }),
}).meta({ id: 'Receipt' });

const Execution = z.object({
  id: z.string(), handlerType: z.string(), handlerName: z.string(), attempt: z.number().int(), status: z.string(),
  externalRef: z.string().nullable(), error: z.object({ code: z.string(), message: z.string() }).nullable(),
  startedAt: isoDate, finishedAt: isoDate.nullable(), durationMs: z.number().nullable(),
}).meta({ id: 'Execution' });

const StatusUpdate = z.object({ status: z.string(), message: z.string(), timestamp: isoDate }).meta({ id: 'StatusUpdate' });

const ActionStatus = z.object({
  action: Action.extend({ executions: z.array(Execution), receipts: z.array(Receipt) }),
  statusUpdates: z.array(StatusUpdate),
});

const Provider = z.object({
  id, spaceId: id, name: z.string(), timezone: z.string(), currency: z.string(), orderPrefix: z.string(),
  contactEmail: z.string().nullable(), contactPhone: z.string().nullable(), prepMinutes: z.number().int(), chainOrder: z.array(z.enum(INTEGRATION_TYPES)).nullable(),
  itemIds: z.array(id), createdAt: isoDate, updatedAt: isoDate,
}).meta({ id: 'Provider' });

const Integration = z.object({
  id, providerId: id, type: z.enum(INTEGRATION_TYPES), name: z.string(), priority: z.number().int(), enabled: z.boolean(),
  config: z.record(z.string(), z.unknown()),
  secretNames: z.array(z.string()).meta({ description: 'Names only: secret values are write-only' }),
  hasSecrets: z.boolean(),
  health: z.object({
    lastError: z.object({ code: z.string(), message: z.string(), at: isoDate, actionId: z.string() }).nullable(),
    lastSuccessAt: isoDate.nullable(),
  }),
  createdAt: isoDate, updatedAt: isoDate,
}).meta({ id: 'Integration' });

const CatalogFile = z.object({
  provider: z.object({ name: z.string(), timezone: z.string(), currency: z.string(), orderPrefix: z.string() }),
  items: z.array(z.object({ sku: z.string(), name: z.string(), aliases: z.array(z.string()), price_cents: z.number().int(), category: z.string().optional(), external_ids: z.record(z.string(), z.string()).optional() })),
  modifiers: z.array(z.object({ id: z.string(), name: z.string(), aliases: z.array(z.string()), price_cents: z.number().int(), external_ids: z.record(z.string(), z.string()).optional() })),
}).meta({ id: 'Catalog' });

const ManualTask = z.object({
  id: z.string(), status: z.enum(MANUAL_TASK_STATUSES), actionId: z.string(), providerId: z.string(), summary: z.string(),
  operatorId: z.string().nullable(), claimedAt: isoDate.nullable(), completedAt: isoDate.nullable(),
}).loose().meta({ id: 'ManualTask' });

const OperatorTask = z.object({
  id: z.string(), actionId: z.string(), spaceId: z.string(), status: z.enum(MANUAL_TASK_STATUSES),
  operatorId: z.string().nullable().meta({ description: 'Who holds the task (claimed), or who closed it' }),
  round: z.number().int().meta({ description: 'Claim round: a release starts the next one' }),
  provider: z.object({ id: z.string(), name: z.string(), phone: z.string().nullable(), email: z.string().nullable(), timezone: z.string() }),
  items: z.array(z.object({ quantity: z.number().int(), name: z.string(), modifiers: z.array(z.string()), price: z.string() })),
  total: z.string(),
  pickup: z.string().meta({ description: 'In the provider\'s local time', example: 'Mon, 8:15 AM EST' }),
  customer: z.object({ name: z.string().nullable(), phoneMasked: z.string().nullable() }),
  instructions: z.string().nullable(),
  attempts: z.array(z.string()).meta({ description: 'Why it fell through: one line per earlier step of the chain' }),
  outcome: z.object({ orderNumber: z.string().nullable(), readyInMinutes: z.number().nullable(), note: z.string().nullable(), failureReason: z.string().nullable() }),
  createdAt: isoDate, claimedAt: isoDate.nullable(),
}).meta({ id: 'OperatorTask', description: 'A manual task as an operator\'s card shows it (customer phone masked)' });

const OperatorSetup = z.object({
  channel: z.object({ platform: z.literal('slack'), workspaceId: z.string().nullable(), id: z.string() }).nullable(),
  operators: z.array(z.string()).nullable().meta({ description: 'Explicit operator ids; null = the channel\'s members' }),
}).meta({ id: 'OperatorSetup' });

const OutcomeResult = z.object({ applied: z.boolean(), status: z.enum(ACTION_STATUSES) });
const TaskOutcome = z.object({ task: ManualTask, action: OutcomeResult });

const ApiKeyInfo = z.object({ id: z.string(), spaceId: id, label: z.string(), prefix: z.string().meta({ example: 'rk_3dqS' }), createdAt: isoDate.nullable() }).meta({ id: 'ApiKey' });
const Space = z.object({ id, name: z.string(), createdAt: isoDate.nullable(), keys: z.array(ApiKeyInfo) }).meta({ id: 'Space' });
const IssuedKey = z.object({ key: ApiKeyInfo, apiKey: z.string().meta({ description: 'The plain key: shown in this response only', example: 'rk_3dqSMT0nRqa0T7YSIH8MT3A4dgGnGwyL' }) });

// ---- operations ----

const SEED_ORDER_EXAMPLE = {
  itemId: '6b0d46f0018a9bde2a1d7cdb',
  type: 'order',
  parameters: {
    items: [{ name: 'Latte', quantity: 1, modifications: ['oat milk', 'extra shot'] }, { name: 'Croissant', quantity: 1 }],
    pickup_time: '15 minutes', customer_name: 'Sam', customer_phone: '+14155550123',
  },
};

export const spaceHeader = z.string().optional().meta({ description: 'When sent, must be the API key\'s space (else 403)' });
export const jsonBody = (schema: z.ZodType, example?: unknown) => ({ required: true, content: { 'application/json': { schema, ...(example ? { example } : {}) } } });
export const ok = (schema: z.ZodType, description = 'OK', status = '200'): ZodOpenApiResponsesObject => ({ [status]: { description, content: json(schema) } });
/** Operations with the default (API key) security can also answer 429 once a client has failed authentication too often. */
export const op = (tag: string, summary: string, o: Omit<ZodOpenApiOperationObject, 'tags' | 'summary'>): ZodOpenApiOperationObject => ({
  tags: [tag], summary, ...o,
  ...(o.security === undefined ? { responses: { ...o.responses, ...errors(429) } } : {}),
});

const actionIdParam = pathId('id', 'Action id');
const providerIdParam = pathId('id', 'Provider id');
const integrationParams = z.object({
  id: z.string().meta({ description: 'Provider id', example: '6b0d46f0018a9bde2a1d7cd8' }),
  integrationId: z.string().meta({ description: 'Integration id', example: '6b0d46f0018a9bde2a1d7cd9' }),
});
const taskIdParam = z.object({ id: z.string().meta({ description: 'Manual task id (the execution id)', example: '6b0d4705018a9bde2a1d7cdc:2:1' }) });
export const noAuth: ZodOpenApiOperationObject['security'] = [];

/**
 * `seedItemId`: the demo café's itemId, so the seed order example works as is in the docs' "Try it out".
 * `handlerNames`: the registered handlers, which are what an integration's `name` may be.
 * `extraPaths`: what extensions mount (the chat bots' routes, see src/extensions.ts), described by themselves.
 */
export function buildOpenApiDocument(opts: { serverUrl: string; seedItemId?: string | null; handlerNames?: string[]; extraPaths?: ZodOpenApiPathsObject }) {
  const NewIntegration = opts.handlerNames?.length
    ? CreateIntegration.extend({ name: z.enum(opts.handlerNames as [string, ...string[]]).meta({ description: 'The handler that serves it' }) })
    : CreateIntegration;
  return createDocument({
    openapi: '3.1.0',
    info: {
      title: 'rouh-actions',
      version: '0.1.0',
      description: 'Turns requests into real outcomes: an action per request, run through a fallback chain of provider handlers (POS API → signed webhook → email → operator), with live status and receipts. `npm start` prints a demo API key.',
    },
    servers: [{ url: opts.serverUrl }],
    security: [{ bearerAuth: [] }],
    components: {
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', description: 'A space API key: `Authorization: Bearer rk_…`' },
        adminToken: { type: 'http', scheme: 'bearer', description: 'ADMIN_TOKEN (the demo writes one to DATA_DIR/admin-token)' },
        metricsToken: { type: 'http', scheme: 'bearer', description: 'METRICS_TOKEN; without it /metrics answers loopback clients only' },
      },
    },
    tags: [
      { name: 'Actions' }, { name: 'Manual tasks' }, { name: 'Operators', description: 'Who works the manual queue, and where its task cards go (Slack)' }, { name: 'Providers' }, { name: 'Integrations' },
      { name: 'Inbound integrations', description: 'Called by providers (POS, webhook receivers, Twilio); authenticated by their signatures, not by API keys' },
      { name: 'Email links' }, { name: 'Order page' }, { name: 'Operations' }, { name: 'Admin', description: 'Spaces and API keys; needs ADMIN_TOKEN' },
    ],
    paths: {
      '/actions': {
        post: op('Actions', 'Create an action (an order) and start it', {
          requestParams: {
            header: z.object({
              'x-user-id': UserIdHeader.meta({ description: 'Who asks (your user id)', example: 'sam' }),
              'x-space-id': spaceHeader,
              'idempotency-key': IdempotencyKeyHeader.optional().meta({ description: 'Same key + same body → the same action (`Idempotent-Replayed: true`); same key + other body → 422', example: 'order-42' }),
            }),
          },
          requestBody: jsonBody(CreateActionBody, { ...SEED_ORDER_EXAMPLE, ...(opts.seedItemId ? { itemId: opts.seedItemId } : {}) }),
          responses: {
            '201': {
              description: 'Created (or replayed for the same Idempotency-Key)',
              headers: z.object({ 'idempotent-replayed': z.literal('true').optional() }),
              content: json(z.object({ action: Action, lead: z.null(), ledger: Ledger })),
            },
            ...errors(...API_ERRORS, 409, 422),
          },
        }),
        get: op('Actions', 'List the space\'s actions, newest first', {
          requestParams: { query: ListActionsQuery, header: z.object({ 'x-space-id': spaceHeader }) },
          responses: { ...ok(z.object({ actions: z.array(Action), nextCursor: z.string().nullable() })), ...errors(400, 401, 403) },
        }),
      },
      '/actions/{id}': {
        get: op('Actions', 'One action', { requestParams: { path: actionIdParam }, responses: { ...ok(z.object({ action: Action })), ...errors(401, 403, 404) } }),
      },
      '/actions/{id}/status': {
        get: op('Actions', 'The whole story: executions, receipts and status updates', { requestParams: { path: actionIdParam }, responses: { ...ok(ActionStatus), ...errors(401, 403, 404) } }),
      },
      '/actions/{id}/cancel': {
        post: op('Actions', 'Cancel (until the action completes)', { requestParams: { path: actionIdParam }, responses: { ...ok(z.object({ action: Action })), ...errors(401, 403, 404, 409, 413, 415) } }),
      },

      '/manual-tasks': {
        get: op('Manual tasks', 'Tasks for operators', { requestParams: { query: ListTasksQuery }, responses: { ...ok(z.object({ tasks: z.array(ManualTask) })), ...errors(400, 401, 403) } }),
      },
      '/manual-tasks/{id}': {
        get: op('Manual tasks', 'A task as an operator\'s card shows it: items, total, pickup, customer, why it fell through', { requestParams: { path: taskIdParam }, responses: { ...ok(z.object({ task: OperatorTask })), ...errors(401, 403, 404) } }),
      },
      '/manual-tasks/{id}/claim': {
        post: op('Manual tasks', 'Claim a task (first claim wins; 409 names the holder)', { requestParams: { path: taskIdParam }, requestBody: jsonBody(OperatorBody), responses: { ...ok(z.object({ task: ManualTask })), ...errors(...API_ERRORS, 409) } }),
      },
      '/manual-tasks/{id}/release': {
        post: op('Manual tasks', 'Give a claimed task back (only its holder; open again for anyone)', { requestParams: { path: taskIdParam }, requestBody: jsonBody(OperatorBody), responses: { ...ok(z.object({ task: ManualTask })), ...errors(...API_ERRORS, 409) } }),
      },
      '/manual-tasks/{id}/complete': {
        post: op('Manual tasks', 'The operator placed the order', { requestParams: { path: taskIdParam }, requestBody: jsonBody(CompleteTaskBody), responses: { ...ok(TaskOutcome), ...errors(...API_ERRORS, 409) } }),
      },
      '/manual-tasks/{id}/fail': {
        post: op('Manual tasks', 'The order cannot be placed; the action fails with the reason (the customer is told `customerMessage` when given)', { requestParams: { path: taskIdParam }, requestBody: jsonBody(FailTaskBody), responses: { ...ok(TaskOutcome), ...errors(...API_ERRORS, 409) } }),
      },
      '/operators': {
        get: op('Operators', 'The space\'s operator channel (where task cards go) and operators', { responses: { ...ok(z.object({ operators: OperatorSetup })), ...errors(401, 403) } }),
        put: op('Operators', 'Set the operator channel and, optionally, an explicit list of operators', { requestBody: jsonBody(PutOperatorsBody, { channel: { platform: 'slack', id: 'C0OPS', workspaceId: 'T0CAFE' }, operators: null }), responses: { ...ok(z.object({ operators: OperatorSetup })), ...errors(...API_ERRORS) } }),
      },

      '/providers': {
        post: op('Providers', 'Create a provider (and its listing item, the itemId for POST /actions)', { requestBody: jsonBody(CreateProvider), responses: { ...ok(z.object({ provider: Provider, itemId: id }), 'Created', '201'), ...errors(...API_ERRORS, 409) } }),
        get: op('Providers', 'The space\'s providers', { responses: { ...ok(z.object({ providers: z.array(Provider) })), ...errors(401, 403) } }),
      },
      '/providers/{id}': {
        get: op('Providers', 'One provider', { requestParams: { path: providerIdParam }, responses: { ...ok(z.object({ provider: Provider })), ...errors(401, 403, 404) } }),
        patch: op('Providers', 'Change a provider', { requestParams: { path: providerIdParam }, requestBody: { ...jsonBody(PatchProvider), required: false }, responses: { ...ok(z.object({ provider: Provider })), ...errors(...API_ERRORS, 409) } }),
      },
      '/providers/{id}/catalog': {
        get: op('Providers', 'The menu, in the parser\'s catalog format', { requestParams: { path: providerIdParam }, responses: { ...ok(CatalogFile), ...errors(401, 403, 404) } }),
        put: op('Providers', 'Replace the menu (atomically for readers)', { requestParams: { path: providerIdParam }, requestBody: jsonBody(CatalogBody), responses: { ...ok(CatalogFile), ...errors(...API_ERRORS, 409) } }),
      },
      '/providers/{id}/integrations': {
        get: op('Integrations', 'A provider\'s integrations', { requestParams: { path: providerIdParam }, responses: { ...ok(z.object({ integrations: z.array(Integration) })), ...errors(401, 403, 404) } }),
        post: op('Integrations', 'Add an integration (config validated by its handler)', { requestParams: { path: providerIdParam }, requestBody: jsonBody(NewIntegration), responses: { ...ok(z.object({ integration: Integration }), 'Created', '201'), ...errors(...API_ERRORS, 409) } }),
      },
      '/providers/{id}/integrations/{integrationId}': {
        patch: op('Integrations', 'Change priority, enabled or config', { requestParams: { path: integrationParams }, requestBody: { ...jsonBody(PatchIntegration), required: false }, responses: { ...ok(z.object({ integration: Integration })), ...errors(...API_ERRORS, 409) } }),
        delete: op('Integrations', 'Remove an integration', { requestParams: { path: integrationParams }, responses: { '204': { description: 'Deleted' }, ...errors(401, 403, 404, 409) } }),
      },
      '/providers/{id}/integrations/{integrationId}/secrets': {
        put: op('Integrations', 'Set (merge) write-only secrets; null removes one', { requestParams: { path: integrationParams }, requestBody: jsonBody(SecretsBody), responses: { ...ok(z.object({ integration: Integration })), ...errors(...API_ERRORS) } }),
      },
      '/providers/{id}/integrations/{integrationId}/secrets/rotate-webhook-secret': {
        post: op('Integrations', 'Generate a new webhook signing secret (shown once)', { requestParams: { path: integrationParams }, responses: { ...ok(z.object({ rotatedAt: isoDate, integration: Integration }).catchall(z.unknown())), ...errors(400, 401, 403, 404, 409, 413, 415) } }),
      },
      '/providers/{id}/integrations/{integrationId}/test': {
        post: op('Integrations', 'Send a test order through this integration (200 whatever the outcome)', { requestParams: { path: integrationParams }, responses: { ...ok(z.object({ ok: z.boolean(), handler: z.string(), outcome: z.string(), detail: z.string() })), ...errors(401, 403, 404, 409, 413, 415) } }),
      },

      '/admin/spaces': {
        get: op('Admin', 'Every space with its API keys (ids and prefixes, never the keys)', { security: [{ adminToken: [] }], responses: { ...ok(z.object({ spaces: z.array(Space) })), ...errors(401, 404) } }),
        post: op('Admin', 'Create a space and its first API key', { security: [{ adminToken: [] }], requestBody: jsonBody(CreateSpaceBody, { name: 'Harbor Tacos' }), responses: { ...ok(IssuedKey.extend({ space: Space }), 'Created', '201'), ...errors(400, 401, 404, 413, 415) } }),
      },
      '/admin/spaces/{spaceId}/keys': {
        post: op('Admin', 'Issue another API key for a space', { security: [{ adminToken: [] }], requestParams: { path: z.object({ spaceId: z.string() }) }, requestBody: { ...jsonBody(CreateKeyBody), required: false }, responses: { ...ok(IssuedKey, 'Created', '201'), ...errors(400, 401, 404, 413, 415) } }),
      },
      '/admin/spaces/{spaceId}/keys/{keyId}/rotate': {
        post: op('Admin', 'Replace a key: the new one is issued, then the old one revoked', { security: [{ adminToken: [] }], requestParams: { path: z.object({ spaceId: z.string(), keyId: z.string() }) }, responses: { ...ok(IssuedKey.extend({ revoked: z.string() }), 'Rotated', '201'), ...errors(401, 404, 413, 415) } }),
      },
      '/admin/spaces/{spaceId}/keys/{keyId}': {
        delete: op('Admin', 'Revoke a key (other API processes forget it within a minute)', { security: [{ adminToken: [] }], requestParams: { path: z.object({ spaceId: z.string(), keyId: z.string() }) }, responses: { '204': { description: 'Revoked' }, ...errors(401, 404) } }),
      },

      '/integrations/square/webhooks/{providerId}': {
        post: op('Inbound integrations', 'Square order webhooks (PREPARED → ready, CANCELED → cancelled)', {
          security: noAuth,
          requestParams: {
            path: z.object({ providerId: z.string() }),
            header: z.object({ 'x-square-hmacsha256-signature': z.string().meta({ description: 'base64 HMAC-SHA256 over notification URL + raw body, with the integration\'s webhookSignatureKey' }) }),
          },
          requestBody: { content: { 'application/json': { schema: z.object({ event_id: z.string(), type: z.string(), data: z.record(z.string(), z.unknown()) }).loose() } } },
          responses: { ...ok(z.object({ received: z.literal(true) }).loose()), ...errors(400, 401, 404, 413) },
        }),
      },
      '/integrations/webhooks/{providerId}/confirm': {
        post: op('Inbound integrations', 'A webhook receiver confirms or declines an order it answered with 202', {
          security: noAuth,
          requestParams: {
            path: z.object({ providerId: z.string() }),
            header: z.object({
              'webhook-id': z.string().meta({ description: 'Standard Webhooks message id' }),
              'webhook-timestamp': z.string().meta({ description: 'Unix seconds; must be within 5 minutes' }),
              'webhook-signature': z.string().meta({ description: '`v1,<base64 HMAC-SHA256>` with the integration\'s whsec_ secret' }),
            }),
          },
          requestBody: { content: { 'application/json': { schema: z.object({ execution_id: z.string(), status: z.enum(['confirmed', 'declined']), order_number: z.string().optional(), ready_in_minutes: z.number().int().optional(), reason: z.string().optional() }) } } },
          responses: { ...ok(z.object({ applied: z.boolean(), status: z.string() })), ...errors(400, 401, 404, 413) },
        }),
      },
      '/integrations/twilio/status': {
        post: op('Inbound integrations', 'Twilio SMS delivery status callbacks', {
          security: noAuth,
          requestParams: { header: z.object({ 'x-twilio-signature': z.string().meta({ description: 'base64 HMAC-SHA1 over the URL + sorted form fields, with the Twilio auth token' }) }) },
          requestBody: { content: { 'application/x-www-form-urlencoded': { schema: z.object({ MessageSid: z.string(), MessageStatus: z.string() }).loose() } } },
          responses: { '204': { description: 'Recorded' }, ...errors(400, 403, 413) },
        }),
      },

      ...Object.fromEntries((['confirm', 'decline'] as const).map((kind) => [`/${kind}/{token}`, {
        get: op('Email links', `The ${kind} page behind the email's link (GET never changes anything)`, {
          security: noAuth,
          requestParams: { path: z.object({ token: z.string() }) },
          responses: {
            '200': { description: 'A form; for an order the customer cancelled, a page saying so (nothing to prepare)', content: { 'text/html': { schema: z.string() } } },
            ...Object.fromEntries(['404', '409', '410'].map((c) => [c, { description: c === '409' ? LINK_CONFLICT : ERROR_TEXT[c]!, content: { 'text/html': { schema: z.string() }, ...json(ErrorBody) } }])),
          },
        }),
        post: op('Email links', kind === 'confirm' ? 'Confirm the order (optional order number and ready-in minutes)' : 'Decline the order (optional reason)', {
          security: noAuth,
          requestParams: { path: z.object({ token: z.string() }) },
          requestBody: {
            content: {
              'application/x-www-form-urlencoded': { schema: kind === 'confirm' ? z.object({ order_number: z.string().optional(), ready_in_minutes: z.string().optional() }) : z.object({ reason: z.string().optional() }) },
            },
          },
          responses: Object.fromEntries(['200', '400', '404', '409', '410', '413', '415', '503'].map((c) => [c, {
            description: c === '200' ? 'Decided' : c === '409' ? LINK_CONFLICT : c === '503' ? EARLY_CLICK : ERROR_TEXT[c]!,
            content: { 'text/html': { schema: z.string() }, 'application/json': { schema: c === '200' ? z.object({ status: z.string(), message: z.string() }).loose() : ErrorBody } },
          }])),
        }),
      }])),

      '/o/{token}': {
        get: op('Order page', 'The customer\'s live order page (the signed token is the credential)', {
          security: noAuth,
          requestParams: { path: z.object({ token: z.string().meta({ example: 'aw1HBQGKm94qHXzcLTnMIbwdJLA_LPfe1bN0Vw' }) }) },
          responses: { '200': { description: 'HTML page', content: { 'text/html': { schema: z.string() } } }, '404': { description: 'Unknown or altered token', content: { 'text/html': { schema: z.string() } } } },
        }),
      },

      '/healthz': { get: op('Operations', 'Liveness', { security: noAuth, responses: ok(z.object({ status: z.literal('ok') })) }) },
      '/readyz': {
        get: op('Operations', 'Readiness: database, scheduler, not shutting down', {
          security: noAuth,
          responses: Object.fromEntries(['200', '503'].map((c) => [c, {
            description: c === '200' ? 'Ready' : 'Not ready (or shutting down)',
            content: json(z.object({ status: z.enum(['ok', 'unavailable']), checks: z.object({ database: z.string(), scheduler: z.string(), shutdown: z.string() }) })),
          }])),
        }),
      },
      '/metrics': {
        get: op('Operations', 'Prometheus metrics', {
          security: [{ metricsToken: [] }, {}],
          responses: { '200': { description: 'Prometheus text format', content: { 'text/plain': { schema: z.string() } } }, ...errors(401) },
        }),
      },
      ...opts.extraPaths,
    },
  });
}

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/**
 * 405 with `Allow` for a documented path called with a method it does not have (instead of a 404 that
 * suggests the path is wrong). The document is the one list of routes and their methods.
 */
export function methodNotAllowed(doc: { paths?: Record<string, object | undefined> }): RequestHandler {
  const routes = Object.entries(doc.paths ?? {}).map(([template, item]) => {
    const methods = Object.keys(item ?? {}).filter((m) => HTTP_METHODS.includes(m)).map((m) => m.toUpperCase());
    if (methods.includes('GET')) methods.push('HEAD');
    const pattern = new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}/?$`);
    return { pattern, methods };
  });
  return (req, res, next) => {
    const route = routes.find((r) => r.pattern.test(req.path));
    if (!route || route.methods.includes(req.method)) return next();
    res.status(405).set('allow', route.methods.join(', ')).json({ error: { code: 'method_not_allowed', message: `${req.method} is not supported on ${req.path}; use ${route.methods.join(', ')}` } });
  };
}
