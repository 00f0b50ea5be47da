/** Starts the real service (HTTP + socket.io + Agenda) on the test run's database, with a fresh database per file. */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import mongoose from 'mongoose';
import { io, type Socket } from 'socket.io-client';
import { loadConfig } from '../../src/config.js';
import { freePort } from '../../src/db/ferretdb.js';
import { createLogger } from '../../src/logger.js';
import { seedDemo, type DemoCredentials } from '../../src/seed/demo.js';
import { startService, type RunningService, type ServiceOverrides } from '../../src/service.js';

export interface TestService extends RunningService {
  creds: DemoCredentials;
  /** The database server it runs on (worker processes connect there too). */
  uri: string;
  dbName: string;
  dataDir: string;
  api<T = Record<string, unknown>>(method: string, path: string, opts?: { body?: unknown; headers?: Record<string, string>; key?: string | null; raw?: string }): Promise<{ status: number; body: T; headers: Headers }>;
  order(parameters?: Record<string, unknown>, headers?: Record<string, string>): Promise<{ status: number; body: { action: { id: string; status: string } } & Record<string, unknown>; headers: Headers }>;
  status(actionId: string): Promise<StatusBody>;
  stop(): Promise<void>;
}

export interface StatusBody {
  action: { id: string; status: string; orderNumber: string | null; executions: Array<{ handlerType: string; handlerName: string; attempt: number; status: string; externalRef: string | null; error: { code: string; message: string } | null; startedAt: string }>; receipts: Array<{ receiptNumber: string; status: string; data: Record<string, unknown> }> } & Record<string, unknown>;
  statusUpdates: Array<{ status: string; message: string; timestamp: string }>;
}

export const SEED_ORDER = {
  items: [{ name: 'Latte', quantity: 1, modifications: ['oat milk', 'extra shot'] }, { name: 'Croissant', quantity: 1 }],
  pickup_time: '15 minutes',
  customer_name: 'Sam',
};

/** `uri`: another database server than the test run's (a load test that must not slow the other files down). */
export async function startTestService(o: ServiceOverrides & { env?: Record<string, string>; uri?: string } = {}): Promise<TestService> {
  const uri = o.uri ?? process.env.TEST_MONGODB_URI;
  if (!uri) throw new Error('TEST_MONGODB_URI is not set: run tests through `npm test` (jest globalSetup starts the database)');
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'rouh-test-'));
  const port = await freePort();
  const config = loadConfig({
    PORT: String(port), MONGODB_URI: uri, DATA_DIR: dataDir, LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    AGENDA_PROCESS_EVERY_MS: '200', AGENDA_LOCK_LIFETIME_MS: '10000', STEP_TIMEOUT_MS: '5000', LINK_SIGNING_SECRET: 'test-link-secret-0123456789',
    ...o.env,
  });
  const dbName = o.dbName ?? `t_${randomBytes(6).toString('hex')}`;
  const running = await startService(config, createLogger(config.LOG_LEVEL), { ...o, dbName });
  const creds = await seedDemo(dataDir, running.baseUrl);

  const api: TestService['api'] = async (method, p, opts = {}) => {
    const key = opts.key === undefined ? creds.apiKey : opts.key;
    const headers: Record<string, string> = { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(opts.body !== undefined || opts.raw ? { 'content-type': 'application/json' } : {}), ...opts.headers };
    const res = await fetch(`${running.baseUrl}${p}`, { method, headers, body: opts.raw ?? (opts.body !== undefined ? JSON.stringify(opts.body) : undefined) });
    const text = await res.text();
    let body: unknown = text;
    try { body = JSON.parse(text); } catch { /* not JSON */ }
    return { status: res.status, body: body as never, headers: res.headers };
  };

  return {
    ...running, creds, uri, dbName, dataDir, api,
    order: (parameters = SEED_ORDER, headers = {}) => api('POST', '/actions', {
      body: { itemId: creds.itemId, type: 'order', parameters },
      headers: { 'x-space-id': creds.spaceId, 'x-user-id': 'user-1', ...headers },
    }) as never,
    status: async (id) => (await api<StatusBody>('GET', `/actions/${id}/status`)).body,
    /** Stops the service but keeps its database (a restart test starts another service on `dbName`). */
    stop: () => running.close(),
    async close() {
      await mongoose.connection.dropDatabase().catch(() => undefined);
      await running.close();
      await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Polls until `check` returns a truthy value (bounded by timeoutMs). */
export async function waitFor<T>(check: () => Promise<T | null | undefined | false> | T | null | undefined | false, what: string, timeoutMs = 15_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v) return v as T;
    } catch (err) { last = err; }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

/** The café declines once the step's wait is committed: a busy machine can lag that behind the execution record. */
export async function declineWhenAwaiting(svc: TestService, executionId: string, reason: string, timeoutMs = 30_000): Promise<void> {
  await waitFor(async () => (await svc.service.decline(executionId, reason)).applied, `the decline of ${executionId} to apply`, timeoutMs);
}

export async function waitForStatus(svc: TestService, id: string, status: string, timeoutMs = 15_000): Promise<StatusBody> {
  // Both the action and its status history: the transition is written just before its status update.
  return waitFor(async () => {
    const s = await svc.status(id);
    return s.action.status === status && s.statusUpdates.at(-1)?.status === status ? s : null;
  }, `action ${id} to be ${status}`, timeoutMs);
}

export interface EventLog { socket: Socket; events: Array<{ name: string; payload: Record<string, unknown> }>; close(): void }

export async function listen(svc: TestService, auth: Record<string, unknown> = { token: svc.creds.apiKey }): Promise<EventLog> {
  const socket = io(svc.baseUrl, { auth, transports: ['websocket'], reconnection: false });
  const events: EventLog['events'] = [];
  socket.onAny((name: string, payload: Record<string, unknown>) => events.push({ name, payload }));
  await new Promise<void>((resolve, reject) => {
    socket.once('ready', () => resolve());
    socket.once('connect_error', (err) => reject(err));
  });
  return { socket, events, close: () => socket.close() };
}
