/**
 * socket.io on the API's port. Clients authenticate with their space's API key
 * (`io(url, { auth: { token, actionId? } })`) and only ever join their own space's rooms:
 * `space:<id>` (every action in the space) or `action:<id>` (one action, also via `subscribe`).
 */
import type { Server as HttpServer } from 'node:http';
import { Server } from 'socket.io';
import type { Logger } from 'pino';
import type { StatusBus } from '../engine/status-bus.js';
import type { ActionEvent } from '../engine/types.js';
import type { AuthFailureLimiter } from '../api/auth.js';
import { spaceForKey } from '../storage/api-keys.js';
import { actionExists } from '../storage/action-state.js';
import { verifyTrackingToken } from '../tracking/token.js';

const isObjectId = (v: unknown): v is string => typeof v === 'string' && /^[a-f0-9]{24}$/.test(v);

/** The wire payloads, exactly as documented: no spaceId, no internal fields. */
function payload(e: ActionEvent): Record<string, unknown> {
  switch (e.type) {
    case 'action.status': return { actionId: e.actionId, status: e.status, message: e.message, timestamp: e.timestamp };
    case 'action.completed': return { actionId: e.actionId, externalReference: e.externalReference, receiptData: e.receiptData };
    case 'action.failed': return { actionId: e.actionId, error: e.error, timestamp: e.timestamp };
    case 'action.ready': return { actionId: e.actionId, message: e.message, timestamp: e.timestamp };
    case 'action.cancelled': return { actionId: e.actionId, by: e.by, message: e.message, timestamp: e.timestamp };
  }
}

/**
 * `trackingKey` lets the customer's order page connect with its tracking token
 * (`auth: { tracking }`): such a socket joins that one action's room and can subscribe to nothing else.
 * `authLimiter` counts failed API-key authentications per client address (shared with the HTTP API).
 */
export function attachSocketServer(http: HttpServer, bus: StatusBus, logger: Logger, opts: { trackingKey?: Buffer; authLimiter?: AuthFailureLimiter } = {}): Server {
  // serveClient: the order page loads /socket.io/socket.io.min.js from here (no CDN).
  const io = new Server(http, { serveClient: true, cors: { origin: false } });

  io.use(async (socket, next) => {
    const client = socket.handshake.address;
    if (opts.authLimiter && (await opts.authLimiter.blockedFor(client)) !== null) return next(new Error('too many failed attempts'));
    const tracking = (socket.handshake.auth as { tracking?: unknown }).tracking;
    if (tracking !== undefined) {
      const actionId = typeof tracking === 'string' && opts.trackingKey ? verifyTrackingToken(tracking, opts.trackingKey) : null;
      if (!actionId) {
        await opts.authLimiter?.recordFailure(client);
        return next(new Error('unauthorized'));
      }
      socket.data.trackingActionId = actionId;
      return next();
    }
    const token = (socket.handshake.auth as { token?: unknown }).token;
    const spaceId = typeof token === 'string' ? await spaceForKey(token).catch(() => null) : null;
    if (!spaceId) {
      await opts.authLimiter?.recordFailure(client);
      return next(new Error('unauthorized'));
    }
    socket.data.spaceId = spaceId;
    next();
  });

  const owns = async (spaceId: string, actionId: unknown) => isObjectId(actionId) && (await actionExists({ _id: actionId as string, spaceId }));

  io.on('connection', async (socket) => {
    if (socket.data.trackingActionId) {
      await socket.join(`action:${String(socket.data.trackingActionId)}`);
      socket.emit('ready', {});
      return;
    }
    const spaceId = socket.data.spaceId as string;
    const actionId = (socket.handshake.auth as { actionId?: unknown }).actionId;
    if (actionId === undefined) await socket.join(`space:${spaceId}`);
    else if (await owns(spaceId, actionId)) await socket.join(`action:${String(actionId)}`);
    socket.emit('ready', { spaceId });
    socket.on('subscribe', async (msg: { actionId?: unknown }, ack?: (r: { ok: boolean; error?: string }) => void) => {
      if (await owns(spaceId, msg?.actionId)) {
        await socket.join(`action:${String(msg.actionId)}`);
        ack?.({ ok: true });
      } else ack?.({ ok: false, error: 'not_found' });
    });
  });

  bus.subscribe((event) => {
    try {
      io.to([`space:${event.spaceId}`, `action:${event.actionId}`]).emit(event.type, payload(event));
    } catch (err) {
      logger.warn({ err }, 'socket broadcast failed');
    }
  });
  return io;
}
