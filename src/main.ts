import { ConfigError, loadConfig } from './config.js';
import { NoDatabaseError } from './db/embedded.js';
import { createLogger } from './logger.js';
import { seedDemo, seedOrderCurl } from './seed/demo.js';
import { startDemoSquare } from './seed/demo-square.js';
import { startService } from './service.js';
import type { AddOn, PreparedAddOn } from './extensions.js';

/**
 * Runs the service as a process: config, database, engine, HTTP, demo seed. `addOns` (the chat bots) are
 * built by the composition root (`main.ts` at the repository root), so nothing in src/ imports them.
 */
export async function runMain(addOns: AddOn[] = []): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  const logger = createLogger(config.LOG_LEVEL);
  let running;
  const onClose: Array<() => Promise<void>> = [];
  const prepared: PreparedAddOn[] = [];
  try {
    for (const addOn of addOns) prepared.push(await addOn.prepare(config, logger));
    for (const p of prepared) if (p.close) onClose.push(p.close);
    running = await startService(config, logger, { extensions: prepared.flatMap((p) => p.extensions) });
  } catch (err) {
    if (err instanceof NoDatabaseError || err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  logger.info({ role: config.ROLE, baseUrl: running.baseUrl }, 'rouh-actions is running');
  if (config.SEED_DEMO && config.ROLE !== 'worker') {
    const creds = await seedDemo(config.dataDir, running.baseUrl);
    const square = config.DEMO_SQUARE_SIMULATOR ? await startDemoSquare(creds, config.publicBaseUrl, config.dataDir, { prepSeconds: config.DEMO_PREP_SECONDS, down: config.DEMO_SQUARE_DOWN }) : null;
    if (square) onClose.push(() => square.close());
    const addOnLines: string[] = [];
    for (const p of prepared) addOnLines.push(...((await p.afterSeed?.({ ...creds, dataDir: config.dataDir })) ?? []));
    process.stdout.write([
      '',
      `  Rouh Actions is running at ${creds.baseUrl}`,
      `  Demo space ${creds.spaceId}, API key ${creds.apiKey}`,
      ...(square ? [`  Square orders go to a local Square simulator at ${square.baseUrl} (chain: Square → email → operator)`] : []),
      ...(square && config.DEMO_PREP_SECONDS > 0 ? [`  The demo kitchen marks Square orders ready ${config.DEMO_PREP_SECONDS} s after they are placed (DEMO_PREP_SECONDS)`] : []),
      `  Customer SMS go to ${config.TWILIO_ACCOUNT_SID ? 'Twilio' : `${config.dataDir}/outbox/sms (set TWILIO_* to send them)`}`,
      `  Order emails go to ${config.SMTP_URL ? 'SMTP' : `${config.dataDir}/outbox/email (set SMTP_URL to send them)`}`,
      '',
      '  Place the seed order:',
      '',
      seedOrderCurl(creds).split('\n').map((l) => `    ${l}`).join('\n'),
      '',
      '  Then: curl -s -H "Authorization: Bearer <key>" ' + `${creds.baseUrl}/actions/<id>/status`,
      '  and open the order page: the "trackingUrl" in the response (also in the SMS: npm run outbox)',
      '',
      `  API docs ${creds.baseUrl}/docs · health ${creds.baseUrl}/readyz · metrics ${creds.baseUrl}/metrics`,
      `  Job dashboard ${creds.baseUrl}/admin/jobs (user admin, password = ${config.ADMIN_TOKEN ? 'ADMIN_TOKEN' : `the admin token in ${config.dataDir}/admin-token`})`,
      ...running.extensionNotes,
      ...addOnLines,
      '',
    ].join('\n') + '\n');
  }
  const shutdown = async (signal: string) => {
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 10_000 + config.SHUTDOWN_DRAIN_MS);
    force.unref();
    running.beginShutdown();
    // Readiness is 503 now; give a load balancer time to stop routing here before the port closes.
    if (config.SHUTDOWN_DRAIN_MS > 0) await new Promise((r) => setTimeout(r, config.SHUTDOWN_DRAIN_MS));
    for (const close of onClose) await close().catch(() => undefined);
    await running.close().catch((err) => logger.error({ err }, 'shutdown error'));
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  // `npm start` is npm → node; npm does not always pass its SIGTERM on. When our parent goes away we are
  // re-parented: stop then too, rather than keep the port and the database running with nobody to stop them.
  const parent = process.ppid;
  setInterval(() => { if (process.ppid !== parent) void shutdown('parent exited'); }, 500).unref();
}

