/** `npm run outbox [-- --limit N]`: the demo's recent emails and SMS, with their links decoded and whole. */
import { loadConfig } from '../config.js';
import { formatOutbox, readOutbox } from '../outbox/read.js';

const i = process.argv.indexOf('--limit');
const limit = i >= 0 ? Number(process.argv[i + 1]) : 10;
if (!Number.isInteger(limit) || limit < 1) {
  process.stderr.write('--limit must be a positive whole number\n');
  process.exit(2);
}
process.stdout.write(formatOutbox(await readOutbox(loadConfig().dataDir, limit)));
