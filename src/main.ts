import { ConfigError, loadConfig } from './config.js';
import { NoDatabaseError } from './db/embedded.js';
import { createLogger } from './logger.js';
import { seedDemo, seedOrderCurl } from './seed/demo.js';
import { startService } from './service.js';

async function main(): Promise<void> {
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
  try {
    running = await startService(config, logger);
  } catch (err) {
    if (err instanceof NoDatabaseError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  logger.info({ role: config.ROLE, baseUrl: running.baseUrl }, 'rouh-actions is running');
  if (config.SEED_DEMO && config.ROLE !== 'worker') {
    const creds = await seedDemo(config.dataDir, running.baseUrl);
    process.stdout.write([
      '',
      `  Rouh Actions is running at ${creds.baseUrl}`,
      `  Demo space ${creds.spaceId}, API key ${creds.apiKey}`,
      `  Order emails go to ${config.SMTP_URL ? 'SMTP' : `${config.dataDir}/outbox/email (set SMTP_URL to send them)`}`,
      '',
      '  Place the seed order:',
      '',
      seedOrderCurl(creds).split('\n').map((l) => `    ${l}`).join('\n'),
      '',
      '  Then: curl -s -H "Authorization: Bearer <key>" ' + `${creds.baseUrl}/actions/<id>/status`,
      '',
    ].join('\n') + '\n');
  }
  const shutdown = async (signal: string) => {
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    await running.close().catch((err) => logger.error({ err }, 'shutdown error'));
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((err) => {
  process.stderr.write(`rouh-actions failed to start: ${(err as Error).message}\n`);
  process.exit(1);
});
