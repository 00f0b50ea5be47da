/** Lookups the inbound integration routers need, scoped by provider. */
import mongoose from 'mongoose';
import { insertOnce } from './insert-once.js';
import type { IntegrationType, IntegrationView, ProviderView } from '../engine/types.js';
import { actionExists, loadAction } from './action-state.js';
import { findExecution } from './executions.js';
import { Action, ActionLive, ExternalRef, Integration, IntegrationSecret, ProcessedEvent, type ActionDoc } from './models.js';
import { loadIntegrationWithSecrets, loadProviderView } from './views.js';

const isId = (v: string) => mongoose.isValidObjectId(v) && /^[a-f0-9]{24}$/.test(v);

/** A secret of the provider's enabled integration of that handler (e.g. webhook signingSecret). */
export async function integrationSecret(providerId: string, handlerName: string, secretName: string): Promise<string | null> {
  if (!isId(providerId)) return null;
  const integration = await Integration.findOne({ providerId, name: handlerName, enabled: true }, { _id: 1 }).sort({ priority: 1 }).lean();
  if (!integration) return null;
  const secrets = await IntegrationSecret.findById(integration._id).lean();
  const value = (secrets?.values as Record<string, unknown> | undefined)?.[secretName];
  return typeof value === 'string' && value ? value : null;
}

export async function executionBelongsTo(executionId: string, providerId: string): Promise<boolean> {
  if (!isId(providerId)) return false;
  const execution = await findExecution(executionId);
  return !!execution && (await actionExists({ _id: execution.actionId, providerId }));
}

export async function actionIdByExternalRef(providerId: string, externalRef: string): Promise<string | null> {
  if (!isId(providerId)) return null;
  const recorded = await ExternalRef.findById(`${providerId}:${externalRef}`, { actionId: 1 }).lean();
  if (recorded) return recorded.actionId.toString();
  const action = (await ActionLive.findOne({ providerId, externalRef }, { _id: 1 }).lean()) ?? (await Action.findOne({ providerId, externalRef }, { _id: 1 }).lean());
  return action ? action._id.toString() : null;
}

/** Records the provider's id for an action's order (idempotent). */
export async function recordExternalRef(providerId: string, externalRef: string, actionId: string): Promise<void> {
  await insertOnce(ExternalRef, { _id: `${providerId}:${externalRef}`, actionId });
}

/** The provider's enabled integration of a handler, with its secrets (the first by priority). */
export async function enabledIntegration(providerId: string, handlerName: string): Promise<IntegrationView | null> {
  if (!isId(providerId)) return null;
  const integration = await Integration.findOne({ providerId, name: handlerName, enabled: true }, { _id: 1, type: 1 }).sort({ priority: 1 }).lean();
  return integration ? loadIntegrationWithSecrets(integration._id, { type: integration.type as IntegrationType, name: handlerName }) : null;
}

/**
 * Whether an action is the provider's and still being worked on (in the live collection), or done.
 */
export async function actionState(providerId: string, actionId: string): Promise<'live' | 'done' | null> {
  if (!isId(providerId) || !isId(actionId)) return null;
  if (await ActionLive.exists({ _id: actionId, providerId })) return 'live';
  const action = await Action.findOne({ _id: actionId, providerId }, { phase: 1 }).lean();
  if (!action) return null;
  // An Action document of the earlier layout was inserted at creation: live until its phase says done.
  return action.phase === 'done' ? 'done' : 'live';
}

/** True the first time an inbound event id is seen (insert on a unique _id). */
export async function markEventSeen(eventId: string): Promise<boolean> {
  return insertOnce(ProcessedEvent, { _id: eventId });
}

/** Forgets an inbound event id, so a redelivery after a failed apply is processed. */
export async function forgetEvent(eventId: string): Promise<void> {
  await ProcessedEvent.deleteOne({ _id: eventId });
}

/** What a confirm/decline link points at: the action, its provider, and whether that step still awaits an answer. */
export async function confirmationTarget(executionId: string): Promise<{ executionId: string; action: ActionDoc; provider: ProviderView | null; open: boolean } | null> {
  const execution = await findExecution(executionId);
  const action = execution ? await loadAction({ _id: execution.actionId }) : null;
  if (!execution || !action) return null;
  const provider = await loadProviderView(action.providerId);
  return { executionId: execution._id, action, provider, open: action.status === 'awaiting_confirmation' && action.awaitingExecutionId === execution._id };
}
