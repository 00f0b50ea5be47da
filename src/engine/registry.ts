import type { AnyHandlerManifest } from './handler-manifest.js';
import type { ActionHandler, RetryPolicy } from './types.js';

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 3, initialDelayMs: 1000, factor: 2, maxDelayMs: 60_000 };

interface Registered { manifest: AnyHandlerManifest; handler: ActionHandler }

/** What to do after a retryable failure: try the same handler again after `delayMs`, or fall through. */
export type RetryDecision =
  | { retry: true; delayMs: number; nextAttempt: number; maxAttempts: number }
  | { retry: false; maxAttempts: number };

/** Handlers by name ("square", "email"...), each with its manifest; an integration names the handler that serves it. */
export class HandlerRegistry {
  private readonly handlers = new Map<string, Registered>();
  private readonly overrides = new Map<string, Partial<RetryPolicy>>();

  register(manifest: AnyHandlerManifest, handler: ActionHandler): this {
    if (this.handlers.has(manifest.name)) throw new Error(`handler "${manifest.name}" registered twice`);
    if (handler.name !== manifest.name) throw new Error(`manifest "${manifest.name}" built a handler named "${handler.name}"`);
    this.handlers.set(manifest.name, { manifest, handler });
    return this;
  }

  /** Deployment-level retry settings per handler (e.g. shorter delays in tests). */
  setRetryPolicy(name: string, policy: Partial<RetryPolicy>): this {
    this.overrides.set(name, policy);
    return this;
  }

  get(name: string): ActionHandler | undefined {
    return this.handlers.get(name)?.handler;
  }

  manifest(name: string): AnyHandlerManifest | undefined {
    return this.handlers.get(name)?.manifest;
  }

  manifests(): AnyHandlerManifest[] {
    return [...this.handlers.values()].map((r) => r.manifest);
  }

  names(): string[] {
    return [...this.handlers.keys()];
  }

  /** How status messages name a chain entry's handler ("the POS"); unknown handlers go by their name. */
  label(name: string | null | undefined): string {
    return (name && this.handlers.get(name)?.manifest.label) || name || 'the handler';
  }

  /** Default ← handler ← deployment override ← the integration's own `config.retry` (validated by the API). */
  retryPolicy(name: string, integrationConfig?: Record<string, unknown>): RetryPolicy {
    const fromIntegration = (integrationConfig?.retry ?? {}) as Partial<RetryPolicy>;
    return { ...DEFAULT_RETRY_POLICY, ...this.handlers.get(name)?.handler.retryPolicy, ...this.overrides.get(name), ...fromIntegration };
  }

  /** The one place that decides "retry again?" after a retryable failure of `attempt` (1-based). */
  retryDecision(name: string, integrationConfig: Record<string, unknown> | undefined, attempt: number, retryAfterMs?: number, random?: () => number): RetryDecision {
    const policy = this.retryPolicy(name, integrationConfig);
    if (attempt >= policy.maxAttempts) return { retry: false, maxAttempts: policy.maxAttempts };
    return { retry: true, delayMs: retryAfterMs ?? backoffDelay(policy, attempt, random), nextAttempt: attempt + 1, maxAttempts: policy.maxAttempts };
  }
}

/** Temporal's shape: initial × factor^(attempt-1), capped; ±10% jitter so retries of many actions spread out. */
export function backoffDelay(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const base = Math.min(policy.initialDelayMs * policy.factor ** Math.max(0, attempt - 1), policy.maxDelayMs);
  return Math.round(base * (0.9 + 0.2 * random()));
}
