/** A handler that does what each test tells it to, recording every call: drives fallback and retry tests. */
import type { ActionHandler, HandlerResult, IntegrationType } from '../../src/engine/types.js';
import { HandlerError } from '../../src/engine/types.js';

export interface FixtureCall { actionId: string; attempt: number; idempotencyKey: string; at: number }

export function createFixtureHandler(name: string, integrationType: IntegrationType, script: (call: FixtureCall, n: number) => HandlerResult | Promise<HandlerResult>): ActionHandler & { calls: FixtureCall[] } {
  const calls: FixtureCall[] = [];
  return {
    name, integrationType, actionTypes: ['order'], calls,
    canHandle: () => ({ ok: true }),
    async execute(ctx) {
      const call = { actionId: ctx.action.id, attempt: ctx.execution.attempt, idempotencyKey: ctx.execution.idempotencyKey, at: Date.now() };
      calls.push(call);
      return script(call, calls.length);
    },
  };
}

export const transient = (message = 'provider unavailable'): HandlerResult => ({ kind: 'retryable', error: HandlerError.transient('unavailable', message) });
export const permanent = (message = 'rejected'): HandlerResult => ({ kind: 'permanent', error: HandlerError.permanent('bad_request', message) });
