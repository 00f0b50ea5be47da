/**
 * Secrets the zero-config service makes for itself (link signing key, the demo's Square signature key and SMS
 * outbox token): random on first start, then kept in DATA_DIR/secrets/<name> (mode 0600) so links and
 * integrations keep working across restarts, and every data folder has its own.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

const NAME = /^[a-z0-9-]{1,64}$/;

/**
 * Returns the secret stored under `name`, creating it first if there is none. Creation is atomic and
 * first-writer-wins (written to a temp file, then hard-linked into place, which fails if the name exists), so
 * processes starting together on one data folder all end up with the same value and never read a torn file.
 */
export async function localSecret(dataDir: string, name: string, make: () => string = () => randomBytes(32).toString('base64url')): Promise<string> {
  if (!NAME.test(name)) throw new Error(`invalid local secret name "${name}"`);
  const dir = path.join(dataDir, 'secrets');
  const file = path.join(dir, name);
  const existing = await readSecret(file);
  if (existing) return existing;
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await fs.writeFile(tmp, `${make()}\n`, { mode: 0o600, flag: 'wx' });
  try {
    await fs.link(tmp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    await fs.rm(tmp, { force: true });
  }
  const stored = await readSecret(file);
  if (!stored) throw new Error(`local secret ${file} is empty`);
  return stored;
}

async function readSecret(file: string): Promise<string | null> {
  try {
    return (await fs.readFile(file, 'utf8')).trim() || null;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

export interface ServiceSecrets {
  /** HMAC key of Confirm/Decline links: LINK_SIGNING_SECRET, else generated once per data folder. */
  linkSigning: string;
  /** The SMS outbox's stand-in Twilio auth token (signs and checks its status callbacks). */
  smsOutboxToken: string;
}

export async function serviceSecrets(
  config: { LINK_SIGNING_SECRET?: string; dataDir: string; production: boolean },
  logger: { warn(msg: string): void },
): Promise<ServiceSecrets> {
  if (!config.LINK_SIGNING_SECRET && config.production) {
    logger.warn('LINK_SIGNING_SECRET is not set: using a key generated in DATA_DIR/secrets; set it explicitly so every process (and a restored data folder) signs links with the same key');
  }
  return {
    linkSigning: config.LINK_SIGNING_SECRET ?? (await localSecret(config.dataDir, 'link-signing')),
    smsOutboxToken: await localSecret(config.dataDir, 'sms-outbox-token'),
  };
}
