/** Builds the embedded FerretDB once (CI and first runs), so tests don't pay for it mid-run. */
import { createLogger } from '../logger.js';
import { ensureFerretBinary } from '../db/ferretdb.js';

const bin = await ensureFerretBinary(createLogger('info'));
if (!bin) {
  process.stderr.write('FerretDB is not available and Go is not installed: set MONGODB_URI or MONGOMS_SYSTEM_BINARY for tests.\n');
  process.exit(1);
}
process.stdout.write(`FerretDB ready: ${bin}\n`);
