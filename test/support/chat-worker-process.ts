/**
 * A separate worker process (ROLE=worker) with the chat add-on as `npm start` composes it (bots/compose.ts):
 * the Slack bot (SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, SLACK_API_URL → the test's Slack simulator) and the
 * operator UI, so task changes made in this process are delivered from it.
 * Env: MONGODB_URI, TEST_DB_NAME, plus service and chat settings.
 */
import { chatAddOn } from '../../bots/compose.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { startService } from '../../src/service.js';

const config = loadConfig({ ...process.env, ROLE: 'worker', SEED_DEMO: 'false' });
const logger = createLogger(config.LOG_LEVEL);
const chat = await chatAddOn({ ...process.env, CHAT_DEMO: 'false' }).prepare(config, logger);
const running = await startService(config, logger, { dbName: process.env.TEST_DB_NAME, extensions: chat.extensions });
process.stdout.write('ready\n');
process.on('SIGTERM', () => { void running.close().then(() => process.exit(0)); });
