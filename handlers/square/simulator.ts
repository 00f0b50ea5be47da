/**
 * A local stand-in for the slice of Square the handler and webhook route use, speaking Square's wire format
 * so the real SDK can be pointed at it by baseUrl. Faults are switchable to drive retry and exactly-once tests.
 */
import { createHmac, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import {
  createSimOrder,
  isFulfillmentState,
  SimRequestError,
  type SimCatalogEntry,
  type SimFulfillmentState,
  type SimOrder,
  type SquareApiError,
} from './simulator-orders.js';

export type { SimCatalogEntry, SimFulfillmentState, SimOrder } from './simulator-orders.js';

/** `count` = how many API requests the fault applies to; omitted = until setFault(null). */
export type SquareSimFault =
  | { kind: 'status'; status: 500 | 503; count?: number }
  | { kind: 'rate_limit'; retryAfterSeconds: number; count?: number }
  | { kind: 'slow'; ms: number; count?: number }
  /** Never answers (until close()). */
  | { kind: 'hang'; count?: number }
  /** Answers 401 as if the token had been revoked. */
  | { kind: 'bad_token'; count?: number }
  /** Performs the request (the order IS created) then destroys the connection before answering. */
  | { kind: 'accept_then_drop'; count?: number }
  /** Performs the request (the order IS created) and never answers: the caller's process can be killed meanwhile. */
  | { kind: 'accept_then_hang'; count?: number };

interface FulfillmentUpdate { fulfillment_uid: string; old_state: SimFulfillmentState; new_state: SimFulfillmentState }

export interface SimWebhookTarget { url: string; signatureKey: string }

export interface SquareSimulatorOptions {
  port?: number;
  accessToken?: string;
  webhook?: SimWebhookTarget;
  /** Catalog object id → name and price, for catalog-mapped lines and modifiers. */
  catalog?: Record<string, SimCatalogEntry>;
  currency?: string;
  taxBasisPoints?: number;
  merchantId?: string;
  /** The demo's kitchen: marks each new order PREPARED (and sends the webhook) this long after it was placed. */
  prepareAfterMs?: number;
  /**
   * Redeliver events our endpoint did not answer 2xx, as Square does (on a much shorter schedule: this delay,
   * doubling, at most 5 times). Off by default so tests drive redeliveries themselves.
   */
  redeliverFailedAfterMs?: number;
}

export interface SimWebhookDelivery {
  eventId: string;
  orderId: string;
  rawBody: string;
  signature: string;
  /** HTTP status from our endpoint, or null when the POST itself failed. */
  status: number | null;
}

export interface SquareSimulator {
  baseUrl: string;
  accessToken: string;
  close(): Promise<void>;
  orders(): SimOrder[];
  order(orderId: string): SimOrder | undefined;
  /** Orders created under an idempotency key: must never exceed 1. */
  ordersForIdempotencyKey(key: string): number;
  setFault(fault: SquareSimFault | null): void;
  setWebhook(target: SimWebhookTarget | null): void;
  /** Changes the order's (first) fulfillment state as a store employee would, then delivers the webhook. */
  advanceFulfillment(orderId: string, state: 'PREPARED' | 'COMPLETED' | 'CANCELED'): Promise<void>;
  webhookDeliveries(): SimWebhookDelivery[];
  /** Sends an earlier event again, byte for byte, as Square's retry would. */
  redeliver(eventId: string): Promise<SimWebhookDelivery>;
  /** API requests received (faulted ones included): proves the SDK did not retry on its own. */
  requestCount(): number;
}

/** base64(HMAC-SHA256(key, notificationUrl + rawBody)): how Square signs `x-square-hmacsha256-signature`. */
export function signSquareWebhook(signatureKey: string, notificationUrl: string, rawBody: string): string {
  return createHmac('sha256', signatureKey).update(notificationUrl + rawBody, 'utf8').digest('base64');
}

const SQUARE_ERRORS = {
  unauthorized: { category: 'AUTHENTICATION_ERROR', code: 'UNAUTHORIZED', detail: 'This request could not be authorized.' },
  rateLimited: { category: 'RATE_LIMIT_ERROR', code: 'RATE_LIMITED', detail: 'Rate limit exceeded. Retry later.' },
  500: { category: 'API_ERROR', code: 'INTERNAL_SERVER_ERROR', detail: 'An internal error has occurred.' },
  503: { category: 'API_ERROR', code: 'SERVICE_UNAVAILABLE', detail: 'The service is temporarily unavailable.' },
} satisfies Record<string, SquareApiError>;

export async function startSquareSimulator(opts: SquareSimulatorOptions = {}): Promise<SquareSimulator> {
  const accessToken = opts.accessToken ?? 'sim-access-token';
  const currency = opts.currency ?? 'USD';
  const orders = new Map<string, SimOrder>();
  const idempotency = new Map<string, { fingerprint: string; orderId: string }>();
  const createdPerKey = new Map<string, number>();
  const deliveries: SimWebhookDelivery[] = [];
  const pending = new Set<NodeJS.Timeout>();
  let webhook = opts.webhook ?? null;
  let fault: SquareSimFault | null = null;
  let requests = 0;

  function takeFault(): SquareSimFault | null {
    const current = fault;
    if (current?.count !== undefined) {
      const left = current.count - 1;
      fault = left > 0 ? { ...current, count: left } : null;
    }
    return current;
  }

  /** Sends Square's answer, or for accept_then_drop cuts the connection after the work is done. */
  function reply(res: Response, status: number, body: unknown): void {
    if (res.locals['dropResponse'] === true) {
      res.socket?.destroy();
      return;
    }
    if (res.locals['hangResponse'] === true) return; // close() tears the socket down
    res.status(status).json(body);
  }

  function replyError(res: Response, status: number, error: SquareApiError): void {
    reply(res, status, { errors: [error] });
  }

  async function deliver(eventId: string, orderId: string, rawBody: string, retryNumber: number): Promise<SimWebhookDelivery> {
    if (!webhook) throw new Error('simulator has no webhook target');
    const signature = signSquareWebhook(webhook.signatureKey, webhook.url, rawBody);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'x-square-hmacsha256-signature': signature,
      'square-environment': 'Sandbox',
      ...(retryNumber > 0 ? { 'square-retry-number': String(retryNumber), 'square-retry-reason': 'http_error' } : {}),
    };
    let status: number | null = null;
    try {
      const res = await fetch(webhook.url, { method: 'POST', headers, body: rawBody, signal: AbortSignal.timeout(10_000) });
      status = res.status;
      await res.arrayBuffer();
    } catch {
      status = null;
    }
    const delivery = { eventId, orderId, rawBody, signature, status };
    deliveries.push(delivery);
    const failed = status === null || status < 200 || status >= 300;
    if (failed && opts.redeliverFailedAfterMs !== undefined && retryNumber < 5) {
      const timer = setTimeout(() => {
        pending.delete(timer);
        void deliver(eventId, orderId, rawBody, retryNumber + 1).catch(() => undefined);
      }, opts.redeliverFailedAfterMs * 2 ** retryNumber);
      pending.add(timer);
    }
    return delivery;
  }

  /** Applies state changes synchronously (so a bad request fails before any answer) and returns Square's update list. */
  function applyFulfillmentChanges(order: SimOrder, changes: { uid: string; state: SimFulfillmentState }[]): FulfillmentUpdate[] {
    for (const { uid } of changes) {
      if (!order.fulfillments.some((f) => f.uid === uid)) {
        throw new SimRequestError(400, { category: 'INVALID_REQUEST_ERROR', code: 'INVALID_VALUE', detail: `No fulfillment with uid ${uid}`, field: 'order.fulfillments' });
      }
    }
    const updates = changes.flatMap(({ uid, state }) => {
      const fulfillment = order.fulfillments.find((f) => f.uid === uid);
      if (!fulfillment) return [];
      const update = { fulfillment_uid: uid, old_state: fulfillment.state, new_state: state };
      fulfillment.state = state;
      return [update];
    });
    order.version += 1;
    order.updated_at = new Date().toISOString();
    return updates;
  }

  async function notifyFulfillmentUpdated(order: SimOrder, updates: FulfillmentUpdate[]): Promise<void> {
    if (!webhook || updates.length === 0) return;
    const eventId = randomUUID();
    const rawBody = JSON.stringify({
      merchant_id: opts.merchantId ?? 'SIM_MERCHANT',
      type: 'order.fulfillment.updated',
      event_id: eventId,
      created_at: order.updated_at,
      data: {
        type: 'order_fulfillment_updated',
        id: order.id,
        object: {
          order_fulfillment_updated: {
            order_id: order.id,
            version: order.version,
            location_id: order.location_id,
            state: order.state,
            created_at: order.created_at,
            updated_at: order.updated_at,
            fulfillment_update: updates,
          },
        },
      },
    });
    await deliver(eventId, order.id, rawBody, 0);
  }

  const app = express();

  app.use('/v2', (req: Request, res: Response, next: NextFunction) => {
    requests += 1;
    const active = takeFault();
    switch (active?.kind) {
      case 'hang':
        return; // close() tears the socket down.
      case 'status':
        return replyError(res, active.status, SQUARE_ERRORS[active.status]);
      case 'rate_limit':
        res.setHeader('Retry-After', String(active.retryAfterSeconds));
        return replyError(res, 429, SQUARE_ERRORS.rateLimited);
      case 'bad_token':
        return replyError(res, 401, SQUARE_ERRORS.unauthorized);
      case 'slow': {
        const timer = setTimeout(() => {
          pending.delete(timer);
          next();
        }, active.ms);
        pending.add(timer);
        return;
      }
      case 'accept_then_drop':
        res.locals['dropResponse'] = true;
        return next();
      case 'accept_then_hang':
        res.locals['hangResponse'] = true;
        return next();
      default:
        return next();
    }
  });
  app.use('/v2', (req: Request, res: Response, next: NextFunction) => {
    if (req.get('authorization') !== `Bearer ${accessToken}`) return replyError(res, 401, SQUARE_ERRORS.unauthorized);
    next();
  });
  app.use('/v2', express.json({ type: '*/*', limit: '1mb' }));

  app.post('/v2/orders', (req: Request, res: Response) => {
    const body: unknown = req.body;
    const key = isRecord(body) ? body['idempotency_key'] : undefined;
    if (!isRecord(body) || typeof key !== 'string' || key === '') {
      throw new SimRequestError(400, { category: 'INVALID_REQUEST_ERROR', code: 'MISSING_REQUIRED_PARAMETER', detail: 'Field must be set', field: 'idempotency_key' });
    }
    const fingerprint = canonicalJson({ ...body, idempotency_key: undefined });
    const previous = idempotency.get(key);
    if (previous) {
      if (previous.fingerprint !== fingerprint) {
        throw new SimRequestError(400, { category: 'INVALID_REQUEST_ERROR', code: 'IDEMPOTENCY_KEY_REUSED', detail: 'The idempotency key was already used for a different request.', field: 'idempotency_key' });
      }
      return reply(res, 200, { order: orders.get(previous.orderId) });
    }
    const order = createSimOrder(body['order'], { currency, catalog: opts.catalog ?? {}, taxBasisPoints: opts.taxBasisPoints ?? 0, now: new Date() });
    orders.set(order.id, order);
    idempotency.set(key, { fingerprint, orderId: order.id });
    createdPerKey.set(key, (createdPerKey.get(key) ?? 0) + 1);
    reply(res, 200, { order });
    if (opts.prepareAfterMs !== undefined) prepareLater(order.id, opts.prepareAfterMs);
  });

  function prepareLater(orderId: string, ms: number): void {
    const timer = setTimeout(() => {
      pending.delete(timer);
      const order = orders.get(orderId);
      const first = order?.fulfillments[0];
      if (!order || !first || !(first.state === 'PROPOSED' || first.state === 'RESERVED')) return; // moved on meanwhile (e.g. cancelled)
      void notifyFulfillmentUpdated(order, applyFulfillmentChanges(order, [{ uid: first.uid, state: 'PREPARED' }])).catch(() => undefined);
    }, ms);
    timer.unref();
    pending.add(timer);
  }

  app.get('/v2/orders/:orderId', (req: Request<{ orderId: string }>, res: Response) => {
    reply(res, 200, { order: findOrder(req.params.orderId) });
  });

  app.put('/v2/orders/:orderId', (req: Request<{ orderId: string }>, res: Response) => {
    const order = findOrder(req.params.orderId);
    const patch: unknown = isRecord(req.body) ? req.body['order'] : undefined;
    if (!isRecord(patch)) throw new SimRequestError(400, { category: 'INVALID_REQUEST_ERROR', code: 'MISSING_REQUIRED_PARAMETER', detail: 'Field must be set', field: 'order' });
    if (patch['version'] !== undefined && patch['version'] !== order.version) {
      throw new SimRequestError(400, { category: 'INVALID_REQUEST_ERROR', code: 'VERSION_MISMATCH', detail: `Order version is ${order.version}`, field: 'order.version' });
    }
    if (order.state !== 'OPEN') {
      throw new SimRequestError(400, { category: 'INVALID_REQUEST_ERROR', code: 'BAD_REQUEST', detail: `An order in state ${order.state} cannot be updated`, field: 'order.state' });
    }
    const changes = (Array.isArray(patch['fulfillments']) ? patch['fulfillments'] : []).flatMap((f: unknown) =>
      isRecord(f) && typeof f['uid'] === 'string' && isFulfillmentState(f['state']) ? [{ uid: f['uid'], state: f['state'] }] : [],
    );
    const updates = applyFulfillmentChanges(order, changes);
    // UpdateOrder with state CANCELED cancels an open order (how a seller's system withdraws one).
    if (patch['state'] === 'CANCELED') order.state = 'CANCELED';
    reply(res, 200, { order });
    // Square answers first and notifies asynchronously; tests that must await the webhook use advanceFulfillment.
    void notifyFulfillmentUpdated(order, updates);
  });

  app.use((_req: Request, res: Response) => replyError(res, 404, { category: 'INVALID_REQUEST_ERROR', code: 'NOT_FOUND', detail: 'Unknown endpoint' }));
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (error instanceof SimRequestError) return replyError(res, error.status, error.error);
    if (isRecord(error) && error['type'] === 'entity.parse.failed') {
      return replyError(res, 400, { category: 'INVALID_REQUEST_ERROR', code: 'INVALID_CONTENT_TYPE', detail: 'Body is not valid JSON' });
    }
    replyError(res, 500, SQUARE_ERRORS[500]);
  });

  function findOrder(orderId: string): SimOrder {
    const order = orders.get(orderId);
    if (!order) throw new SimRequestError(404, { category: 'INVALID_REQUEST_ERROR', code: 'NOT_FOUND', detail: `Order ${orderId} not found`, field: 'order_id' });
    return order;
  }

  const server = app.listen(opts.port ?? 0, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}`,
    accessToken,
    async close() {
      fault = null;
      for (const timer of pending) clearTimeout(timer);
      pending.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    orders: () => [...orders.values()].map((o) => structuredClone(o)),
    order: (orderId) => {
      const order = orders.get(orderId);
      return order && structuredClone(order);
    },
    ordersForIdempotencyKey: (key) => createdPerKey.get(key) ?? 0,
    setFault(next) {
      fault = next;
    },
    setWebhook(target) {
      webhook = target;
    },
    async advanceFulfillment(orderId, state) {
      const order = findOrder(orderId);
      const first = order.fulfillments[0];
      if (!first) throw new Error(`order ${orderId} has no fulfillment`);
      await notifyFulfillmentUpdated(order, applyFulfillmentChanges(order, [{ uid: first.uid, state }]));
    },
    webhookDeliveries: () => deliveries.map((d) => ({ ...d })),
    async redeliver(eventId) {
      const original = deliveries.find((d) => d.eventId === eventId);
      if (!original) throw new Error(`no delivery for event ${eventId}`);
      const retries = deliveries.filter((d) => d.eventId === eventId).length;
      return deliver(eventId, original.orderId, original.rawBody, retries);
    },
    requestCount: () => requests,
  };
}

/** Key-order-independent JSON, so "same body" means same content rather than same serialisation. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    isRecord(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b))) : v,
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
