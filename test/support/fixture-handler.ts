/** A handler that does what each test tells it to, recording every call: drives fallback and retry tests. */
import { z } from 'zod';
import type { HandlerManifest } from '../../src/engine/handler-manifest.js';
import type { ActionHandler, HandlerResult, IntegrationType } from '../../src/engine/types.js';
import { HandlerError } from '../../src/engine/types.js';

export interface FixtureCall { actionId: string; attempt: number; idempotencyKey: string; at: number }

/** A manifest for a test handler: registered through ServiceOverrides.extraHandlers exactly like handlers/index.ts. */
export function fixtureManifest(handler: ActionHandler, integrationType: IntegrationType, label = 'the POS'): HandlerManifest<unknown> {
  return { name: handler.name, integrationType, label, configSchema: z.object({}), secretsSchema: z.object({}), create: () => handler };
}

export function createFixtureHandler(name: string, integrationType: IntegrationType, script: (call: FixtureCall, n: number) => HandlerResult | Promise<HandlerResult>): HandlerManifest<unknown> & { calls: FixtureCall[] } {
  const calls: FixtureCall[] = [];
  const handler: ActionHandler = {
    name,
    canHandle: () => ({ ok: true }),
    async execute(ctx) {
      const call = { actionId: ctx.action.id, attempt: ctx.execution.attempt, idempotencyKey: ctx.execution.idempotencyKey, at: Date.now() };
      calls.push(call);
      return script(call, calls.length);
    },
  };
  return { ...fixtureManifest(handler, integrationType), calls };
}

export const transient = (message = 'provider unavailable'): HandlerResult => ({ kind: 'retryable', error: HandlerError.transient('unavailable', message) });
export const permanent = (message = 'rejected'): HandlerResult => ({ kind: 'permanent', error: HandlerError.permanent('bad_request', message) });
