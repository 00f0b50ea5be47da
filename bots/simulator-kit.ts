/**
 * What the Slack and Telegram simulators share: injected API faults (per method, counted) and how a faulty
 * call is answered, the loopback HTTP server, JSON-encoded form fields, and waiting for or following the
 * messages people would see. Each simulator keeps its own platform's wording and bodies.
 */
import type { EventEmitter } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express, Response } from 'express';

/** A fault applies to API calls (all, or only `method`) for `count` calls, or until cleared. */
export type SimFault = ({ method?: string; count?: number }) & (
  | { kind: 'rate_limit'; retryAfterSeconds: number }
  | { kind: 'status'; status: 500 | 502 | 503 }
  | { kind: 'slow'; ms: number }
  /** The connection is cut without an answer (fetch fails), as when the platform is unreachable. */
  | { kind: 'down' }
  | { kind: 'hang' }
);

export interface FaultAnswers {
  /** 429 in the platform's own shape (body and Retry-After). */
  rateLimited(retryAfterSeconds: number): void;
  /** What a platform's failing front end sends with a 5xx (HTML, not the API's JSON). */
  unavailableHtml: string;
  /** Records the HTTP status of a call that got no API answer (0 when cut or never answered). */
  record(status: number): void;
  /** Runs the call itself (now, or after the delay of a `slow` fault). */
  run(): void;
}

export class FaultInjector<F extends SimFault = SimFault> {
  private fault: F | null = null;
  private readonly timers = new Set<NodeJS.Timeout>();

  /** `sameMethod`: how a fault's method matches a call (Telegram's method names are case-insensitive). */
  constructor(private readonly sameMethod: (faultMethod: string, method: string) => boolean = (a, b) => a === b) {}

  set(fault: F | null): void {
    this.fault = fault;
  }

  /** The active fault if it applies to this method; counted faults are used up one call at a time. */
  take(method: string): F | null {
    const current = this.fault;
    if (!current || (current.method !== undefined && !this.sameMethod(current.method, method))) return null;
    if (current.count !== undefined) {
      const left = current.count - 1;
      this.fault = left > 0 ? { ...current, count: left } : null;
    }
    return current;
  }

  /** Answers a call under `fault` as the platform would, or runs it (at once, or later when slow). */
  apply(fault: F | null, res: Response, answers: FaultAnswers): void {
    switch (fault?.kind) {
      case 'rate_limit':
        return answers.rateLimited(fault.retryAfterSeconds);
      case 'status':
        answers.record(fault.status);
        res.status(fault.status).type('text/html').send(answers.unavailableHtml);
        return;
      case 'down':
        answers.record(0);
        res.socket?.destroy();
        return;
      case 'hang':
        answers.record(0);
        return;
      case 'slow': {
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          answers.run();
        }, fault.ms);
        this.timers.add(timer);
        return;
      }
      default:
        answers.run();
    }
  }

  /** Clears the fault and drops the calls a `slow` fault still holds. */
  clear(): void {
    this.fault = null;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}

/** Listens on 127.0.0.1 (port 0: any free one). */
export async function listenOnLoopback(app: Express, port = 0): Promise<{ server: Server; port: number }> {
  const server = app.listen(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  return { server, port: (server.address() as AddressInfo).port };
}

export async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** An object sent as a form field arrives JSON-encoded; as a JSON body, as is. `invalid` is the platform's error. */
export function jsonParam<T>(params: Record<string, unknown>, key: string, invalid: () => Error): T | undefined {
  const value = params[key];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') return value as T;
  try {
    return JSON.parse(value) as T;
  } catch {
    throw invalid();
  }
}

/**
 * Resolves with the first message matching (already there, or emitted as 'message' later), as a copy;
 * rejects with `timeoutMessage` after the timeout.
 */
export function waitForMessage<M>(world: EventEmitter, existing: readonly M[], predicate: (m: M) => boolean, timeoutMs: number, timeoutMessage: string): Promise<M> {
  const found = existing.find(predicate);
  if (found) return Promise.resolve(structuredClone(found));
  return new Promise((resolve, reject) => {
    const onMessage = (message: M): void => {
      if (!predicate(message)) return;
      clearTimeout(timer);
      world.off('message', onMessage);
      resolve(structuredClone(message));
    };
    const timer = setTimeout(() => {
      world.off('message', onMessage);
      reject(new Error(timeoutMessage));
    }, timeoutMs);
    world.on('message', onMessage);
  });
}

/** Calls `listener` with a copy of every message posted or edited from now on; returns unsubscribe. */
export function followMessages<M>(world: EventEmitter, listener: (m: M) => void): () => void {
  const forward = (message: M): void => listener(structuredClone(message));
  world.on('message', forward);
  return () => {
    world.off('message', forward);
  };
}
