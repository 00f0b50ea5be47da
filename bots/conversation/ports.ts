/**
 * What the conversation needs from the engine, as a narrow port. `bots/engine-port.ts` implements it over
 * the engine's services (the same create-and-start, pricing, idempotency and cancel as the HTTP API).
 */
import type { Catalog } from '../../src/parser/index.js';
import type { Platform } from './types.js';

export interface ProviderSummary {
  id: string;
  name: string;
  timezone: string;
  currency: string;
  orderPrefix: string;
}

export interface MenuEntry { sku: string; name: string; priceCents: number; category: string | null; aliases: string[] }
export interface MenuOption { id: string; name: string; priceCents: number; aliases: string[] }

export interface ProviderMenu {
  provider: ProviderSummary;
  /** The listing item POST /actions takes as itemId. */
  itemId: string;
  items: MenuEntry[];
  modifiers: MenuOption[];
  /** The same menu in the parser's catalog format. */
  catalog: Catalog;
}

/** A line the customer asked for, by sku and modifier ids (what the parser produces). */
export interface DraftLine { sku: string; quantity: number; modifications: string[] }

export interface OrderRequest {
  lines: DraftLine[];
  /** ISO time or null (as soon as possible). */
  pickupTime: string | null;
  customerName: string | null;
  customerPhone: string | null;
  instructions: string | null;
}

/** Where an action came from: its thread, so every status change is reported back there. */
export interface ChatOrigin {
  platform: Platform;
  workspace: string;
  channel: string;
  thread: string | null;
  user: string;
  /** The card to edit with the order's state. */
  card: string | null;
}

export interface OrderLineView { name: string; quantity: number; modifiers: string[]; amount: string }

/** An order as the customer may see it: no internal errors, no execution details. */
export interface OrderView {
  id: string;
  userId: string;
  status: 'queued' | 'executing' | 'awaiting_confirmation' | 'completed' | 'failed' | 'cancelled';
  fulfillment: 'ready' | 'picked_up' | 'cancelled' | null;
  orderNumber: string | null;
  provider: ProviderSummary;
  lines: OrderLineView[];
  total: string;
  pickupAt: Date | null;
  customerName: string | null;
  instructions: string | null;
  receipt: { receiptNumber: string; orderNumber: string; total: string; pickupTime: string; readyInMinutes: number } | null;
  /** The engine's internal reason when failed (shown to nobody; the conversation maps it to plain words). */
  failureReason: string | null;
  origin: ChatOrigin | null;
  createdAt: Date;
}

export type PlaceResult =
  | { ok: true; order: OrderView; replayed: boolean }
  | { ok: false; code: string; message: string };

export interface OrderingPort {
  providers(spaceId: string): Promise<ProviderSummary[]>;
  menu(spaceId: string, providerId: string): Promise<ProviderMenu | null>;
  /** Creates and starts the action (or returns the one this idempotency key already made). */
  place(input: { spaceId: string; userId: string; providerId: string; request: OrderRequest; idempotencyKey: string; origin: ChatOrigin; now: Date }): Promise<PlaceResult>;
  order(spaceId: string, actionId: string): Promise<OrderView | null>;
  /** The customer's latest orders, newest first. */
  ordersOf(spaceId: string, userId: string, limit: number): Promise<OrderView[]>;
  orderByNumber(spaceId: string, orderNumber: string): Promise<OrderView | null>;
  cancel(spaceId: string, actionId: string): Promise<{ applied: boolean; status: string }>;
}
