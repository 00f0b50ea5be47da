/**
 * The contract between the engine and provider handlers.
 * Handlers see plain data (no mongoose documents, no chat types) and return a small result union;
 * the engine owns persistence, retries, fall-through and notifications.
 */
import type { Logger } from 'pino';

/** Kinds of integration, in the default chain order (api → webhook → email → manual). Defined here only. */
export const INTEGRATION_TYPES = ['api', 'webhook', 'email', 'manual'] as const;
export type IntegrationType = (typeof INTEGRATION_TYPES)[number];

/** Where an action was requested: the HTTP API or a chat platform. */
export const ORIGIN_CHANNELS = ['api', 'slack', 'telegram'] as const;
export type OriginChannel = (typeof ORIGIN_CHANNELS)[number];

/**
 * Where a request came from, kept on the action so a bot can report back in the same place.
 * `ref` holds the chat coordinates (workspace, channel, thread, user); the API leaves it null.
 */
export interface ActionOrigin { channel: OriginChannel; ref?: Record<string, string> | null }

export const ACTION_STATUSES = ['queued', 'executing', 'awaiting_confirmation', 'completed', 'failed', 'cancelled'] as const;
export type ActionStatus = (typeof ACTION_STATUSES)[number];

/** What happens to the order after the provider accepted it (reported by POS webhooks or operators). */
export type FulfillmentState = 'ready' | 'picked_up' | 'cancelled';

export interface PricedModifier { id: string; name: string; priceCents: number }

export interface PricedLine {
  sku: string;
  name: string;
  quantity: number;
  unitPriceCents: number;
  modifiers: PricedModifier[];
  /** (unit + modifiers) × quantity, integer cents. */
  lineTotalCents: number;
  /** Provider-side ids (e.g. a Square catalog variation id) when the catalog has them. */
  externalIds?: Record<string, string>;
}

/** An order priced from the provider's catalog: the client never sets prices. */
export interface PricedOrder {
  lines: PricedLine[];
  totalCents: number;
  currency: string;
  /** null = as soon as possible. */
  pickupAt: Date | null;
  customerName: string | null;
  /** E.164 or null; never logged. */
  customerPhone: string | null;
  specialInstructions: string | null;
}

export interface ActionView {
  id: string;
  spaceId: string;
  userId: string;
  type: string;
  order: PricedOrder;
  createdAt: Date;
}

export interface ProviderView {
  id: string;
  name: string;
  timezone: string;
  currency: string;
  orderPrefix: string;
  contactEmail: string | null;
  /** Default minutes until an order is ready when the provider does not say. */
  prepMinutes: number;
}

export interface IntegrationView {
  id: string;
  type: IntegrationType;
  name: string;
  priority: number;
  enabled: boolean;
  config: Record<string, unknown>;
  /** Write-only secrets (tokens, signing keys); never returned by the API, never logged. */
  secrets: Record<string, string>;
}

/** A step that finished: the engine builds the receipt from the priced order plus these facts. */
export interface Completion {
  /** The provider's id for the order (Square order id, webhook-id, task id...). */
  externalRef?: string;
  /** The provider's own order number when it has one; otherwise the engine allocates PREFIX-counter. */
  orderNumber?: string;
  readyInMinutes?: number;
  /** Provider-computed total (integer cents) when it differs from ours, e.g. Square adds tax. */
  totalCents?: number;
  message?: string;
}

export type HandlerResult =
  | ({ kind: 'completed' } & Completion)
  | { kind: 'awaiting'; externalRef?: string; message: string; /** Fall through to the next handler after this long; null waits indefinitely (manual tasks). */ timeoutMs: number | null }
  | { kind: 'retryable'; error: HandlerError; /** Server-requested delay (Retry-After), overrides backoff. */ retryAfterMs?: number }
  | { kind: 'permanent'; error: HandlerError };

export const ErrorCode = {
  Timeout: 'timeout',
  Unavailable: 'unavailable',
  RateLimited: 'rate_limited',
  Unauthorized: 'unauthorized',
  BadRequest: 'bad_request',
  Misconfigured: 'misconfigured',
  Declined: 'declined',
  Unknown: 'unknown',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** A classified handler failure. `message` is shown to operators: no secrets, no phone numbers. */
export class HandlerError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'HandlerError';
  }
  static transient(code: ErrorCode, message: string): HandlerError { return new HandlerError(code, message, true); }
  static permanent(code: ErrorCode, message: string): HandlerError { return new HandlerError(code, message, false); }
}

export interface RetryPolicy {
  /** Total attempts including the first (1 = no retries). */
  maxAttempts: number;
  initialDelayMs: number;
  factor: number;
  maxDelayMs: number;
}

export interface HandlerContext {
  action: ActionView;
  provider: ProviderView;
  integration: IntegrationView;
  execution: {
    id: string;
    /** 1-based attempt of this handler for this action. */
    attempt: number;
    /** Stable across attempts and crashes of the same (action, integration): use it for vendor idempotency. */
    idempotencyKey: string;
  };
  /** The provider's order number for this action (PREFIX-counter), allocated once and reused on retries. */
  orderNumber(): Promise<string>;
  /**
   * Records the provider's id for this order the moment the provider returns it, before doing anything else:
   * the provider's events about the order (ready, cancelled) can arrive before this step's result is saved.
   */
  recordExternalRef(externalRef: string): Promise<void>;
  /** Extends the job lock; call during long steps. */
  touch(): Promise<void>;
  /** Aborted when the step's time budget runs out: pass it to fetch / SDK calls. */
  signal: AbortSignal;
  /** Public base URL of the API, for links (confirm/decline) and callbacks. */
  publicBaseUrl: string;
  logger: Logger;
  now(): Date;
}

export type CanHandle = { ok: true } | { ok: false; reason: string };

/**
 * What a handler's `cancel` hook gets: the order as the provider was told about it. `execution` is the step
 * that told the provider (its id and idempotency key are what the provider saw); `externalRef` is the
 * provider's id for the order when one was recorded (Square order id, webhook-id, Message-ID).
 */
export interface CancelContext {
  action: ActionView;
  provider: ProviderView;
  integration: IntegrationView;
  execution: { id: string; idempotencyKey: string; externalRef: string | null };
  /** The order number the customer and provider know (ours or the provider's); null when none was given out. */
  orderNumber: string | null;
  /** Aborted when the call's time budget runs out: pass it to fetch / SDK calls. */
  signal: AbortSignal;
  publicBaseUrl: string;
  logger: Logger;
  now(): Date;
}

/**
 * A provider handler: one vendor (its integration type, label and schemas are in its HandlerManifest).
 * - `canHandle` is cheap and side-effect free: is this integration configured for this action right now?
 * - `execute` performs one attempt. It must be idempotent for the same `execution.idempotencyKey`,
 *   because a crash after the external call and before the engine saved the result re-runs it.
 */
export interface ActionHandler {
  readonly name: string;
  readonly retryPolicy?: Partial<RetryPolicy>;
  canHandle(action: ActionView, provider: ProviderView, integration: IntegrationView): CanHandle;
  execute(ctx: HandlerContext): Promise<HandlerResult>;
  /**
   * Optional: tells the provider that the customer cancelled an order this handler already told it about (sent,
   * awaiting confirmation, or accepted). The engine calls it at most once per step from a durable job; throwing
   * a retryable HandlerError (or any other error) has it called again with backoff, a permanent one gives up.
   * Use `execution.idempotencyKey` so a repeated call after a crash is recognisable as the same cancellation.
   */
  cancel?(ctx: CancelContext): Promise<void>;
}

/** How inbound callbacks (confirm links, webhook confirmations, POS webhooks, operators) move an action on. */
export interface ExternalOutcomes {
  confirm(executionId: string, completion: Completion): Promise<OutcomeResult>;
  /** `reason` is for the team (execution record, action error); `customerMessage`, if given, is what the customer is told when this ends the action. */
  decline(executionId: string, reason: string, customerMessage?: string): Promise<OutcomeResult>;
  reportFulfillment(actionId: string, state: FulfillmentState, message: string): Promise<OutcomeResult>;
}

/**
 * `applied` false means the step had already moved on (late or duplicate callback); nothing changed.
 * `retryLater`: the event came before the action got there (e.g. "ready" while the order is still being placed);
 * nothing changed, and the caller should have the sender deliver it again later.
 */
export interface OutcomeResult { applied: boolean; status: ActionStatus; retryLater?: boolean }

/** Events every observer (socket.io, chat bots, SMS) receives. */
export type ActionEvent =
  | { type: 'action.status'; actionId: string; spaceId: string; status: ActionStatus | FulfillmentState; message: string; timestamp: string }
  | { type: 'action.completed'; actionId: string; spaceId: string; externalReference: string | null; receiptData: ReceiptData; timestamp: string }
  | { type: 'action.failed'; actionId: string; spaceId: string; error: string; timestamp: string }
  | { type: 'action.ready'; actionId: string; spaceId: string; message: string; timestamp: string }
  /** `by`: who cancelled (the customer, or the provider after accepting it). */
  | { type: 'action.cancelled'; actionId: string; spaceId: string; by: 'customer' | 'provider'; message: string; timestamp: string };

export interface ReceiptItem { name: string; quantity: number; modifications: string[]; price: string }

/** The receipt `data` as the API shows it: money as display strings, integer cents alongside. */
export interface ReceiptData {
  provider: string;
  order_number: string;
  total: string;
  total_cents: number;
  currency: string;
  pickup_time: string;
  ready_in_minutes: number;
  items: ReceiptItem[];
}

/** Something that tells a person about an action (SMS, chat thread). Must be idempotent per (action, event). */
export interface Notifier {
  readonly name: string;
  /** Return false to ignore an event cheaply (e.g. no phone number). */
  wants(event: ActionEvent): boolean;
  /**
   * Optional: false when this action can never need this notifier (the SMS notifier: no phone number), so the
   * engine keeps no durable fallback job for an event only such notifiers want.
   */
  concerns?(action: ActionView): boolean;
  /** Resolves to what happened ('skipped' when there was nothing to send or it was already sent); throwing counts as 'failed'. */
  notify(event: ActionEvent, context: NotifyContext): Promise<NotifyOutcome | void>;
}

export type NotifyOutcome = 'sent' | 'failed' | 'skipped';

export interface NotifyContext {
  action: ActionView;
  provider: ProviderView;
  /** Stable key for this (action, event): pass it to the vendor and to the dedupe record. */
  dedupeKey: string;
  /** The provider's order number once allocated (for "Order #DC-1547 is ready"). */
  orderNumber: string | null;
  /** Where the request came from (`api`, or a chat platform with its thread in `ref`): chat notifiers route by it. */
  origin?: { channel: string; ref: Record<string, string> | null };
  /** The status update this event belongs to (one per transition). */
  statusUpdateId?: string;
  /** The customer's live order page (no key needed); null when the service has none. */
  trackingUrl?: string | null;
}

/** Where the manual handler opens operator tasks (implemented on MongoDB in storage/manual-task-store.ts). */
export interface ManualTaskStore {
  /** Idempotent: one task per execution id. */
  open(task: { executionId: string; action: ActionView; provider: ProviderView; summary: string }): Promise<void>;
}
