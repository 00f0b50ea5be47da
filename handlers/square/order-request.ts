/**
 * PricedOrder → Square CreateOrderRequest (SDK camelCase, BigInt money). Pure and deterministic on purpose:
 * Square answers a reused idempotency key with a *different* body by rejecting it, so nothing here may depend
 * on the clock or on the attempt number.
 */
import { Currency, type Square } from 'square';
import type { PricedLine, PricedModifier, PricedOrder } from '../../src/engine/types.js';
import type { SquareConfig } from './config.js';

/** Key in `PricedLine.externalIds` that a catalog import may fill with the Square variation id. */
export const SQUARE_EXTERNAL_ID_KEY = 'square';

/** Square's limits (pickup note 500, ticket name 30 chars). Longer values are cut, not rejected. */
const PICKUP_NOTE_MAX = 500;
const TICKET_NAME_MAX = 30;

export interface OrderRequestInput {
  idempotencyKey: string;
  actionId: string;
  orderNumber: string;
  order: PricedOrder;
  locationId: string;
  prepMinutes: number;
  catalogMap: SquareConfig['catalogMap'];
}

const SQUARE_CURRENCIES = new Set<string>(Object.values(Currency));

export function isSquareCurrency(code: string): code is Square.Currency {
  return SQUARE_CURRENCIES.has(code);
}

export function buildCreateOrderRequest(input: OrderRequestInput): Square.CreateOrderRequest {
  const { order } = input;
  if (!isSquareCurrency(order.currency)) throw new RangeError(`currency ${order.currency} is not supported by Square`);
  const currency = order.currency;
  return {
    idempotencyKey: input.idempotencyKey,
    order: {
      locationId: input.locationId,
      // Lets staff and webhooks tie the Square order back to our action.
      referenceId: input.actionId,
      ticketName: input.orderNumber.slice(0, TICKET_NAME_MAX),
      lineItems: order.lines.map((line) => toLineItem(line, currency, input.catalogMap)),
      fulfillments: [toPickupFulfillment(input)],
    },
  };
}

function toLineItem(line: PricedLine, currency: Square.Currency, catalogMap: SquareConfig['catalogMap']): Square.OrderLineItem {
  const variationId = catalogMap?.items[line.sku] ?? line.externalIds?.[SQUARE_EXTERNAL_ID_KEY];
  const modifiers = line.modifiers.map((m) => toModifier(m, currency, catalogMap));
  const withModifiers = modifiers.length > 0 ? { modifiers } : {};
  // A catalog line is priced by Square from its catalog; an ad-hoc line needs its name and price.
  if (variationId !== undefined) return { quantity: String(line.quantity), catalogObjectId: variationId, ...withModifiers };
  return { quantity: String(line.quantity), name: line.name, basePriceMoney: money(line.unitPriceCents, currency), ...withModifiers };
}

function toModifier(modifier: PricedModifier, currency: Square.Currency, catalogMap: SquareConfig['catalogMap']): Square.OrderLineItemModifier {
  const catalogId = catalogMap?.modifiers[modifier.id];
  // Quantity is left out: Square applies a modifier once per unit of its line, as our lineTotalCents does.
  if (catalogId !== undefined) return { catalogObjectId: catalogId };
  return { name: modifier.name, basePriceMoney: money(modifier.priceCents, currency) };
}

function toPickupFulfillment(input: OrderRequestInput): Square.Fulfillment {
  const { order } = input;
  const recipient: Square.FulfillmentRecipient = {
    // Square wants someone to call out; the order number is what the customer was told.
    displayName: order.customerName ?? input.orderNumber,
    ...(order.customerPhone !== null ? { phoneNumber: order.customerPhone } : {}),
  };
  const timing: Square.FulfillmentPickupDetails =
    order.pickupAt === null
      ? { scheduleType: 'ASAP', prepTimeDuration: isoMinutes(input.prepMinutes) }
      : { scheduleType: 'SCHEDULED', pickupAt: order.pickupAt.toISOString(), prepTimeDuration: isoMinutes(input.prepMinutes) };
  // Square's Order has no free-text note; pickup details do, and that is what the kitchen ticket shows.
  const note = order.specialInstructions?.trim();
  return {
    type: 'PICKUP',
    pickupDetails: { recipient, ...timing, ...(note ? { note: note.slice(0, PICKUP_NOTE_MAX) } : {}) },
  };
}

function money(cents: number, currency: Square.Currency): Square.Money {
  if (!Number.isSafeInteger(cents)) throw new RangeError(`amount ${cents} is not an integer number of minor units`);
  return { amount: BigInt(cents), currency };
}

/** RFC 3339 duration, e.g. PT15M. */
function isoMinutes(minutes: number): string {
  return `PT${minutes}M`;
}
