/**
 * The operator credential (ADMIN_TOKEN) for the job dashboard and the admin API. Accepted as
 * `Authorization: Bearer <token>` (scripts) or HTTP Basic with the token as password (browsers get a login
 * prompt). Written by hand: express-basic-auth covers only Basic, and this is one constant-time compare.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { ErrorBody } from '../api/errors.js';
import { sameSecret } from './health.js';

export function presentedAdminToken(header: string | undefined): string | null {
  if (!header) return null;
  const bearer = /^Bearer\s+(\S+)$/i.exec(header);
  if (bearer) return bearer[1]!;
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header);
  if (!basic) return null;
  const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon >= 0 ? decoded.slice(colon + 1) : null;
}

/** `adminToken` undefined: the admin surface is off (404, as if it did not exist). */
export function requireAdmin(adminToken: string | undefined, opts: { browserPrompt?: boolean } = {}): RequestHandler {
  return (req, res, next) => {
    if (!adminToken) {
      res.status(404).json({ error: { code: 'not_found', message: 'The admin interface is off: set ADMIN_TOKEN to enable it' } } satisfies ErrorBody);
      return;
    }
    const given = presentedAdminToken(req.get('authorization'));
    if (given && sameSecret(given, adminToken)) return next();
    if (opts.browserPrompt) res.set('www-authenticate', 'Basic realm="rouh-actions admin", charset="UTF-8"');
    res.status(401).json({ error: { code: 'unauthorized', message: 'Needs the admin token: "Authorization: Bearer <ADMIN_TOKEN>" (or Basic, any user name, the token as password)' } } satisfies ErrorBody);
  };
}

/**
 * The demo's admin token: generated once and kept in DATA_DIR/admin-token (like the demo API key), so the
 * zero-config demo has a working dashboard without publishing a constant.
 */
export async function demoAdminToken(dataDir: string): Promise<string> {
  const file = path.join(dataDir, 'admin-token');
  const saved = (await fs.readFile(file, 'utf8').catch(() => '')).trim();
  if (saved.length >= 16) return saved;
  const token = `adm_${randomBytes(24).toString('base64url')}`;
  await fs.mkdir(dataDir, { recursive: true });
  await fs.writeFile(file, `${token}\n`, { mode: 0o600 });
  return token;
}
