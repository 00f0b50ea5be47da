import path from 'node:path';
import { z } from 'zod';

/**
 * Every setting the service reads, validated once at start. The embedded-database tooling (src/db/ferretdb.ts,
 * src/db/embedded.ts) also reads its own build/cache variables (ROUH_CACHE_DIR, FERRETDB_BIN, MONGOMS_*).
 */
const ConfigSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  PUBLIC_BASE_URL: z.url().optional(),
  ROLE: z.enum(['api', 'worker', 'all']).default('all'),
  MONGODB_URI: z.string().regex(/^mongodb(\+srv)?:\/\//, 'must start with mongodb:// or mongodb+srv://').optional(),
  DATA_DIR: z.string().min(1).default('./.data'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SMTP_URL: z.string().regex(/^smtps?:\/\//, 'must start with smtp:// or smtps://').optional(),
  EMAIL_FROM: z.string().min(3).default('Rouh Actions <orders@rouh.local>'),
  LINK_SIGNING_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  /** How often workers poll for due jobs; new actions in the same process start immediately regardless. */
  AGENDA_PROCESS_EVERY_MS: z.coerce.number().int().min(50).default(1000),
  /** A running step's lease (renewed while it runs): a dead worker's step is taken over after this long. */
  AGENDA_LOCK_LIFETIME_MS: z.coerce.number().int().min(1000).default(30_000),
  /** Steps (and notification jobs) one worker process runs at once. */
  AGENDA_CONCURRENCY: z.coerce.number().int().min(1).default(10),
  /** A finished action's step bookkeeping (transition log, order-number claim) is removed after this long. */
  STEP_BOOKKEEPING_RETENTION_MINUTES: z.coerce.number().positive().default(60),
  /** Overload shedding (POST /actions → 503 + Retry-After, nothing written): the longest a create waits to be admitted… */
  OVERLOAD_TIMEOUT_MS: z.coerce.number().int().min(10).default(2000),
  /** …creates one API process runs at once (more wait for a slot)… */
  OVERLOAD_MAX_CONCURRENT_CREATES: z.coerce.number().int().min(1).default(32),
  /** …and how many actions may be overdue (due longer than OVERLOAD_OVERDUE_AFTER_MS ago) before new ones are refused. */
  OVERLOAD_MAX_OVERDUE_ACTIONS: z.coerce.number().int().min(1).default(1000),
  OVERLOAD_OVERDUE_AFTER_MS: z.coerce.number().int().min(0).default(10_000),
  STEP_TIMEOUT_MS: z.coerce.number().int().min(500).default(30_000),
  EMAIL_CONFIRM_TIMEOUT_MINUTES: z.coerce.number().positive().default(10),
  SEED_DEMO: z.enum(['true', 'false']).default('true').transform((v) => v === 'true'),
  /** The demo café's Square integration talks to a Square simulator started in this process. */
  DEMO_SQUARE_SIMULATOR: z.enum(['true', 'false']).default('true').transform((v) => v === 'true'),
  /** The demo café's POS answers 503 to every call: orders fall through to email and then to an operator. */
  DEMO_SQUARE_DOWN: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
  /** The demo Square's simulated prep time: orders turn PREPARED (→ "ready" + SMS) this long after they are placed; 0 = never. */
  DEMO_PREP_SECONDS: z.coerce.number().min(0).max(3600).default(20),
  TWILIO_ACCOUNT_SID: z.string().regex(/^AC[0-9a-fA-F]{32}$/, 'must be AC followed by 32 hex characters').optional(),
  TWILIO_AUTH_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  TWILIO_FROM: z.string().regex(/^(\+[1-9]\d{1,14}|MG[0-9a-fA-F]{32}|[A-Za-z0-9 ]{1,11})$/, 'must be an E.164 number, a Messaging Service SID or an alphanumeric sender').optional(),
  /** An unclaimed manual task is announced again after this long; a claimed one reminds its claimer after this long. */
  OPERATOR_NUDGE_MINUTES: z.coerce.number().positive().default(10),
  OPERATOR_REMIND_MINUTES: z.coerce.number().positive().default(20),
  /** How often the operator sweep (nudges, reminders) runs. */
  OPERATOR_SWEEP_SECONDS: z.coerce.number().int().min(1).default(30),
  MAX_BODY_BYTES: z.coerce.number().int().min(1024).default(100_000),
  /** A request's headers and body must arrive within this time (a client that stalls mid-body gets 408 and is dropped). */
  REQUEST_TIMEOUT_MS: z.coerce.number().int().min(500).default(30_000),
  /** Failed API-key authentications allowed per client address per minute before 429. */
  AUTH_FAILURES_PER_MINUTE: z.coerce.number().int().min(1).default(30),
  /** A notification not delivered at once (its sender died) is delivered by a fallback job this much later. */
  NOTIFY_FALLBACK_AFTER_MS: z.coerce.number().int().min(1000).default(120_000),
  /** `production` turns off the demo's stand-ins (Square simulator, SMS outbox callbacks) and warns about missing secrets. */
  NODE_ENV: z.string().optional(),
  /** Bearer token for /metrics; unset = only loopback clients may read it. */
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  /** Operator credential for /admin (job dashboard, spaces and keys); unset = admin off, except the demo generates one. */
  ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  /** On SIGTERM, /readyz answers 503 for this long before the port closes (let a load balancer notice). */
  SHUTDOWN_DRAIN_MS: z.coerce.number().int().min(0).max(120_000).default(0),
});

export type Config = z.infer<typeof ConfigSchema> & { dataDir: string; publicBaseUrl: string; production: boolean };

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const picked = Object.fromEntries(Object.keys(ConfigSchema.shape).map((k) => [k, env[k] === '' ? undefined : env[k]]));
  const parsed = ConfigSchema.safeParse(picked);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const name = issue?.path.join('.') ?? 'config';
    throw new ConfigError(`Invalid configuration: ${name} ${issue?.message ?? 'is invalid'}`);
  }
  const production = parsed.data.NODE_ENV === 'production';
  // The demo's simulators accept credentials generated on this machine: never something to run in production.
  if (production && env.DEMO_SQUARE_SIMULATOR === 'true') {
    throw new ConfigError('Invalid configuration: DEMO_SQUARE_SIMULATOR is a demo stand-in and is refused when NODE_ENV=production');
  }
  const c = { ...parsed.data, DEMO_SQUARE_SIMULATOR: parsed.data.DEMO_SQUARE_SIMULATOR && !production };
  const twilio = [c.TWILIO_ACCOUNT_SID, c.TWILIO_AUTH_TOKEN, c.TWILIO_FROM].filter(Boolean).length;
  if (twilio !== 0 && twilio !== 3) {
    throw new ConfigError('Invalid configuration: TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM must be set together');
  }
  if (c.ROLE !== 'all' && !c.MONGODB_URI) {
    throw new ConfigError('Invalid configuration: MONGODB_URI is required when ROLE is api or worker (processes must share one database)');
  }
  return {
    ...c,
    production,
    dataDir: path.resolve(c.DATA_DIR),
    publicBaseUrl: (c.PUBLIC_BASE_URL ?? `http://${c.HOST === '0.0.0.0' ? '127.0.0.1' : c.HOST}:${c.PORT}`).replace(/\/$/, ''),
  };
}
