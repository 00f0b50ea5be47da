/**
 * Telling the provider when the customer cancels an order it was already told about (an order email sent, a
 * webhook delivered, a POS order created). The customer's cancel transition schedules one durable job for the
 * step that was awaiting or running; the job calls that handler's optional `cancel` hook.
 *
 * Exactly once, as far as a remote call can be: the decision is one insert (Claim `provider-cancel:<execution>`,
 * owned by the job that made it, so a duplicate job is a no-op and the owner's retries and takeovers go on), a
 * second insert records that it was done. A failure throws, and the job retries with backoff; a worker that
 * dies mid-call leaves the job to another worker. The one window left: a crash after the provider got the
 * cancellation and before it was recorded repeats it, under the same idempotency key (webhook-id, Message-ID).
 */
import type { Logger } from 'pino';
import { loadAction } from '../storage/action-state.js';
import { insertOnce } from '../storage/insert-once.js';
import { findExecution } from '../storage/executions.js';
import { Claim, OrderNumber } from '../storage/models.js';
import { loadIntegrationWithSecrets, loadProviderView, toActionView } from '../storage/views.js';
import type { HandlerRegistry } from './registry.js';
import { HandlerError, type IntegrationType } from './types.js';

export interface ProviderCancelDeps {
  registry: HandlerRegistry;
  logger: Logger;
  publicBaseUrl: string;
  /** Budget of one hook call, and (with leaseMs) how long a step still marked running may still be running. */
  stepTimeoutMs: number;
  leaseMs: number;
  now: () => Date;
}

/** Executions in these states told the provider about the order. */
const TOLD: ReadonlySet<string> = new Set(['awaiting', 'completed']);

export type ProviderCancelOutcome = 'sent' | 'not_told' | 'unsupported' | 'duplicate' | 'gave_up';

export const providerCancelClaimId = (executionId: string) => `provider-cancel:${executionId}`;

/** Thrown while the step that may have told the provider is still running: the job retries later. */
export class StepStillRunning extends Error {
  /** A planned wait, not a fault: job logging keeps it out of the error level. */
  readonly expected = true;
}

export async function tellProviderCancelled(deps: ProviderCancelDeps, job: { actionId: string; executionId: string; jobId: string }): Promise<ProviderCancelOutcome> {
  const claimId = providerCancelClaimId(job.executionId);
  const log = deps.logger.child({ actionId: job.actionId, executionId: job.executionId });
  if (await Claim.exists({ _id: `${claimId}:done` })) return 'duplicate';
  if (!(await insertOnce(Claim, { _id: claimId, by: job.jobId }))) {
    const owner = await Claim.findById(claimId).lean();
    if (owner?.by !== job.jobId) return 'duplicate';
  }
  const finish = async (outcome: ProviderCancelOutcome) => {
    await insertOnce(Claim, { _id: `${claimId}:done`, by: outcome });
    return outcome;
  };

  const [action, execution] = await Promise.all([loadAction({ _id: job.actionId }), findExecution(job.executionId)]);
  if (!action || action.status !== 'cancelled' || !execution) return finish('not_told');
  if (execution.status === 'running') {
    // The handler may be talking to the provider right now: wait for its result. A step that outlived its time
    // budget and lease belonged to a worker that died mid-call, so the provider may have the order: tell it.
    const startedAt = new Date(execution.startedAt ?? deps.now()).getTime();
    if (startedAt + deps.stepTimeoutMs + deps.leaseMs > deps.now().getTime()) throw new StepStillRunning('the step is still running');
  } else if (!TOLD.has(execution.status ?? '')) {
    return finish('not_told');
  }

  const handler = deps.registry.get(execution.handlerName ?? '');
  if (!handler?.cancel) return finish('unsupported');
  const [provider, integration, allocated] = await Promise.all([
    loadProviderView(action.providerId),
    loadIntegrationWithSecrets(execution.integrationId, { type: (execution.handlerType ?? 'manual') as IntegrationType, name: execution.handlerName ?? '' }),
    action.orderNumber ? null : OrderNumber.findById(job.actionId).lean(),
  ]);
  if (!provider || !integration) return finish('gave_up');

  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error('provider cancel timed out')), deps.stepTimeoutMs);
  try {
    await handler.cancel({
      action: toActionView(action), provider, integration,
      execution: { id: execution._id, idempotencyKey: execution.idempotencyKey ?? execution._id, externalRef: execution.externalRef ?? action.externalRef ?? null },
      orderNumber: action.orderNumber ?? allocated?.orderNumber ?? null,
      signal: controller.signal, publicBaseUrl: deps.publicBaseUrl, logger: log.child({ handler: handler.name }), now: deps.now,
    });
  } catch (err) {
    if (err instanceof HandlerError && !err.retryable) {
      log.error({ code: err.code, err: err.message }, 'could not tell the provider the order was cancelled; giving up');
      return finish('gave_up');
    }
    log.warn({ err: (err as Error).message }, 'telling the provider the order was cancelled failed; retrying');
    throw err;
  } finally {
    clearTimeout(timer);
  }
  log.info({ handler: handler.name }, 'provider told the order was cancelled');
  return finish('sent');
}
