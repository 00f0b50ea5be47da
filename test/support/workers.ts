/**
 * Separate worker processes for crash and load tests: test/support/worker-process.ts (ROLE=worker, the real
 * service plus the `http-pos` handler; or another worker script) started as real processes sharing the test
 * service's database, and killed with SIGKILL (no shutdown: a crash).
 */
import { spawn, type ChildProcess } from 'node:child_process';

export function startWorker(env: Record<string, string>, script = 'test/support/worker-process.ts'): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`worker exited early (${code})`)));
    child.stdout!.on('data', (d: Buffer) => { if (d.toString().includes('ready')) resolve(child); });
  });
}

export async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

/**
 * The settings every test worker shares: the test service's database and data folder, and short leases and
 * polls so a killed worker's step is taken over within seconds. `extra` adds or overrides.
 */
export function workerEnv(svc: { uri: string; dbName: string; dataDir: string }, extra: Record<string, string> = {}): Record<string, string> {
  return {
    MONGODB_URI: svc.uri, TEST_DB_NAME: svc.dbName, DATA_DIR: svc.dataDir,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent', AGENDA_LOCK_LIFETIME_MS: '3000', AGENDA_PROCESS_EVERY_MS: '200', STEP_TIMEOUT_MS: '2500',
    ...extra,
  };
}

/** A worker that sends SMS through the Twilio simulator, as account `twilio`, linking back to `svc` (plus `extra`). */
export function smsWorkerEnv(svc: { uri: string; dbName: string; dataDir: string; baseUrl: string }, twilio: { url: string; sid: string; token: string; from: string }, extra: Record<string, string> = {}): Record<string, string> {
  return workerEnv(svc, {
    TWILIO_SIM_URL: twilio.url, TWILIO_ACCOUNT_SID: twilio.sid, TWILIO_AUTH_TOKEN: twilio.token, TWILIO_FROM: twilio.from,
    PUBLIC_BASE_URL: svc.baseUrl, ...extra,
  });
}

/** The worker processes one test file started: `killAll()` in afterEach/afterAll leaves none running. */
export class Workers {
  private readonly running: ChildProcess[] = [];

  async start(env: Record<string, string>, count = 1): Promise<ChildProcess[]> {
    const started = await Promise.all(Array.from({ length: count }, () => startWorker(env)));
    this.running.push(...started);
    return started;
  }

  /** Starts one worker. */
  async one(env: Record<string, string>): Promise<ChildProcess> {
    return (await this.start(env))[0]!;
  }

  async killAll(): Promise<void> {
    await Promise.all(this.running.splice(0).map(kill));
  }
}
