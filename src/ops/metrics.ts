/**
 * Prometheus metrics (prom-client). Each service instance owns its registry (tests run several services in
 * one process). The engine is not instrumented line by line: metrics are fed through the seams it already
 * has — the StatusBus (actions created), the transition log's commit observer (outcomes, retries,
 * fall-throughs), a wrapper around each ActionHandler (step durations), the notifier dispatcher
 * (notifications) and the job runner (queue lag).
 */
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import type { RequestHandler } from 'express';
import type { StatusBus } from '../engine/status-bus.js';
import type { TransitionObserver } from '../engine/transition-log.js';
import type { ActionHandler, HandlerResult, NotifyOutcome } from '../engine/types.js';

const TERMINAL = new Set(['completed', 'failed', 'cancelled']);

export class ServiceMetrics implements TransitionObserver {
  readonly registry = new Registry();
  private readonly httpDuration = new Histogram({
    name: 'http_request_duration_seconds', help: 'HTTP request duration by method, route template and status',
    labelNames: ['method', 'route', 'status'] as const, buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers: [this.registry],
  });
  private readonly actionsCreated = new Counter({ name: 'rouh_actions_created_total', help: 'Actions accepted by the API', registers: [this.registry] });
  private readonly actionsFinished = new Counter({
    name: 'rouh_actions_finished_total', help: 'Actions that reached a final status, by outcome (completed, failed, cancelled)',
    labelNames: ['outcome'] as const, registers: [this.registry],
  });
  private readonly stepDuration = new Histogram({
    name: 'rouh_step_duration_seconds', help: 'One handler attempt, by handler and result (completed, awaiting, retryable, permanent)',
    labelNames: ['handler', 'result'] as const, buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers: [this.registry],
  });
  private readonly queueLag = new Histogram({
    name: 'rouh_job_queue_lag_seconds', help: 'Delay between a job being due and a worker starting it, by job name',
    labelNames: ['job'] as const, buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15, 60], registers: [this.registry],
  });
  private readonly retries = new Counter({ name: 'rouh_step_retries_total', help: 'Handler attempts scheduled again after a retryable failure', labelNames: ['handler'] as const, registers: [this.registry] });
  private readonly fallThroughs = new Counter({
    name: 'rouh_step_fall_throughs_total', help: 'Times the chain moved past a handler (failed, declined, timed out or unavailable)',
    labelNames: ['handler'] as const, registers: [this.registry],
  });
  private readonly notifications = new Counter({
    name: 'rouh_notifications_total', help: 'Customer notifications by channel and outcome (sent, failed)',
    labelNames: ['channel', 'outcome'] as const, registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /** Express middleware: durations labelled by the matched route template, never the raw URL (ids would explode cardinality). */
  http(): RequestHandler {
    return (req, res, next) => {
      const end = this.httpDuration.startTimer();
      res.once('finish', () => {
        const route = req.route?.path ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched';
        end({ method: req.method, route, status: String(res.statusCode) });
      });
      next();
    };
  }

  /** Counts actions created from the "queued" update the API publishes when it stores one. */
  watch(bus: StatusBus): () => void {
    return bus.subscribe((e) => {
      if (e.type === 'action.status' && e.status === 'queued') this.actionsCreated.inc();
    });
  }

  /** Called once per committed transition (by its only writer), so each count happens once across processes. */
  transitionCommitted(before: { status: string; chainIndex: number; attempt: number; chain: Array<{ name?: string | null }> }, set: Record<string, unknown>): void {
    const handler = before.chain[before.chainIndex]?.name ?? 'none';
    if (typeof set.chainIndex === 'number' && set.chainIndex > before.chainIndex) this.fallThroughs.inc({ handler });
    else if (typeof set.attempt === 'number' && set.attempt > before.attempt) this.retries.inc({ handler });
    if (typeof set.status === 'string' && TERMINAL.has(set.status) && !TERMINAL.has(before.status)) {
      if (set.status === 'failed') this.fallThroughs.inc({ handler }); // the last handler failed too
      this.actionsFinished.inc({ outcome: set.status });
    }
  }

  /** The same handler, timing each attempt. */
  timed(handler: ActionHandler): ActionHandler {
    const observe = this.stepDuration;
    return Object.assign(Object.create(handler) as ActionHandler, {
      canHandle: handler.canHandle.bind(handler),
      async execute(ctx: Parameters<ActionHandler['execute']>[0]): Promise<HandlerResult> {
        const end = observe.startTimer({ handler: handler.name });
        try {
          const result = await handler.execute(ctx);
          end({ result: result.kind });
          return result;
        } catch (err) {
          end({ result: 'threw' });
          throw err;
        }
      },
    });
  }

  jobStarted(job: string, dueAt: Date | string | undefined, now = new Date()): void {
    if (!dueAt) return;
    const lag = (now.getTime() - new Date(dueAt).getTime()) / 1000;
    if (Number.isFinite(lag)) this.queueLag.observe({ job }, Math.max(0, lag));
  }

  notified(channel: string, outcome: NotifyOutcome): void {
    if (outcome !== 'skipped') this.notifications.inc({ channel, outcome });
  }
}
