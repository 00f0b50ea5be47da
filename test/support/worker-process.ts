/**
 * A separate worker process (ROLE=worker) for crash tests: the real service with one extra handler,
 * `http-pos`, which places orders on a fake POS over HTTP with the execution's idempotency key.
 * Env: MONGODB_URI, TEST_DB_NAME, POS_URL, TWILIO_SIM_URL (the twilio SDK's requests go there), plus service settings.
 */
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { startService } from '../../src/service.js';
import { HandlerError, type ActionHandler } from '../../src/engine/types.js';
import { fixtureManifest } from './fixture-handler.js';
import { createSimulatorHttpClient } from './twilio-simulator.js';

const posUrl = process.env.POS_URL ?? 'http://127.0.0.1:9';
const httpPos: ActionHandler = {
  name: 'http-pos',
  canHandle: () => ({ ok: true }),
  async execute(ctx) {
    const res = await fetch(`${posUrl}/orders`, {
      method: 'POST', signal: ctx.signal,
      headers: { 'content-type': 'application/json', 'idempotency-key': ctx.execution.idempotencyKey },
      body: JSON.stringify({ actionId: ctx.action.id, totalCents: ctx.action.order.totalCents }),
    });
    if (!res.ok) throw HandlerError.transient('unavailable', `POS answered ${res.status}`);
    const order = (await res.json()) as { id: string };
    return { kind: 'completed', externalRef: order.id, orderNumber: await ctx.orderNumber() };
  },
};

const config = loadConfig({ ...process.env, ROLE: 'worker', SEED_DEMO: 'false' });
const running = await startService(config, createLogger(config.LOG_LEVEL), {
  dbName: process.env.TEST_DB_NAME, extraHandlers: [fixtureManifest(httpPos, 'api')],
  ...(process.env.TWILIO_SIM_URL ? { twilioHttpClient: createSimulatorHttpClient(process.env.TWILIO_SIM_URL) } : {}),
});
process.stdout.write('ready\n');
process.on('SIGTERM', () => { void running.close().then(() => process.exit(0)); });
