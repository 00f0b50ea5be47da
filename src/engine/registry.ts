import type { ActionHandler, RetryPolicy } from './types.js';

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 3, initialDelayMs: 1000, factor: 2, maxDelayMs: 60_000 };

/** Handlers by name ("square", "email"...); an integration names the handler that serves it. */
export class HandlerRegistry {
  private readonly handlers = new Map<string, ActionHandler>();
  private readonly overrides = new Map<string, Partial<RetryPolicy>>();

  register(handler: ActionHandler): this {
    if (this.handlers.has(handler.name)) throw new Error(`handler "${handler.name}" registered twice`);
    this.handlers.set(handler.name, handler);
    return this;
  }

  /** Deployment-level retry settings per handler (e.g. shorter delays in tests). */
  setRetryPolicy(name: string, policy: Partial<RetryPolicy>): this {
    this.overrides.set(name, policy);
    return this;
  }

  get(name: string): ActionHandler | undefined {
    return this.handlers.get(name);
  }

  names(): string[] {
    return [...this.handlers.keys()];
  }

  retryPolicy(name: string, integrationConfig?: Record<string, unknown>): RetryPolicy {
    const fromIntegration = (integrationConfig?.retry ?? {}) as Partial<RetryPolicy>;
    return { ...DEFAULT_RETRY_POLICY, ...this.handlers.get(name)?.retryPolicy, ...this.overrides.get(name), ...fromIntegration };
  }
}

/** Temporal's shape: initial × factor^(attempt-1), capped; ±10% jitter so retries of many actions spread out. */
export function backoffDelay(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const base = Math.min(policy.initialDelayMs * policy.factor ** Math.max(0, attempt - 1), policy.maxDelayMs);
  return Math.round(base * (0.9 + 0.2 * random()));
}
