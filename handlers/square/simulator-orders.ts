/**
 * The simulator's order model, on the wire (snake_case, integer minor units) exactly as Square's JSON
 * looks, plus the pricing Square does server-side: line = (base + Σ modifier × modifier qty) × qty.
 */
import { randomBytes } from 'node:crypto';

export interface SimMoney { amount: number; currency: string }

export interface SimModifier {
  uid: string;
  catalog_object_id?: string;
  name: string;
  quantity: string;
  base_price_money: SimMoney;
  total_price_money: SimMoney;
}

export interface SimLineItem {
  uid: string;
  catalog_object_id?: string;
  name: string;
  quantity: string;
  base_price_money: SimMoney;
  modifiers?: SimModifier[];
  variation_total_price_money: SimMoney;
  gross_sales_money: SimMoney;
  total_tax_money: SimMoney;
  total_discount_money: SimMoney;
  total_money: SimMoney;
}

export type SimFulfillmentState = 'PROPOSED' | 'RESERVED' | 'PREPARED' | 'COMPLETED' | 'CANCELED' | 'FAILED';

export interface SimFulfillment {
  uid: string;
  type: string;
  state: SimFulfillmentState;
  pickup_details?: Record<string, unknown>;
}

export interface SimOrder {
  id: string;
  location_id: string;
  reference_id?: string;
  ticket_name?: string;
  state: 'OPEN' | 'COMPLETED' | 'CANCELED';
  version: number;
  created_at: string;
  updated_at: string;
  line_items: SimLineItem[];
  fulfillments: SimFulfillment[];
  total_money: SimMoney;
  total_tax_money: SimMoney;
  total_discount_money: SimMoney;
  total_tip_money: SimMoney;
  total_service_charge_money: SimMoney;
  net_amount_due_money: SimMoney;
}

/** A catalog object the simulator knows: a variation (priced line) or a modifier. */
export interface SimCatalogEntry { name: string; priceCents: number }

export interface SquareApiError { category: string; code: string; detail: string; field?: string }

export class SimRequestError extends Error {
  constructor(readonly status: number, readonly error: SquareApiError) {
    super(error.detail);
  }
}

export interface PricingOptions {
  currency: string;
  catalog: Record<string, SimCatalogEntry>;
  /** Order-level tax, in basis points of the gross (e.g. 875 = 8.75%), rounded half up. */
  taxBasisPoints: number;
  now: Date;
}

type Wire = Record<string, unknown>;

const FULFILLMENT_STATES: readonly SimFulfillmentState[] = ['PROPOSED', 'RESERVED', 'PREPARED', 'COMPLETED', 'CANCELED', 'FAILED'];

export function newSquareId(): string {
  return randomBytes(18).toString('base64url').replace(/[-_]/g, 'X');
}

/** Builds and prices an order from a CreateOrder `order` body, or throws SimRequestError like Square would. */
export function createSimOrder(wireOrder: unknown, opts: PricingOptions): SimOrder {
  if (!isObject(wireOrder)) throw missing('order');
  const locationId = wireOrder['location_id'];
  if (typeof locationId !== 'string' || locationId === '') throw missing('order.location_id');
  const lines = asArray(wireOrder['line_items'], 'order.line_items').map((l, i) => priceLine(l, `order.line_items[${i}]`, opts));
  const fulfillments = asArray(wireOrder['fulfillments'], 'order.fulfillments').map((f, i) => toFulfillment(f, `order.fulfillments[${i}]`));
  const gross = lines.reduce((sum, l) => sum + l.gross_sales_money.amount, 0);
  const tax = Math.round((gross * opts.taxBasisPoints) / 10_000);
  const at = opts.now.toISOString();
  return {
    id: newSquareId(),
    location_id: locationId,
    ...optionalString(wireOrder, 'reference_id'),
    ...optionalString(wireOrder, 'ticket_name'),
    state: 'OPEN',
    version: 1,
    created_at: at,
    updated_at: at,
    line_items: lines,
    fulfillments,
    total_money: m(gross + tax, opts.currency),
    total_tax_money: m(tax, opts.currency),
    total_discount_money: m(0, opts.currency),
    total_tip_money: m(0, opts.currency),
    total_service_charge_money: m(0, opts.currency),
    net_amount_due_money: m(gross + tax, opts.currency),
  };
}

export function isFulfillmentState(value: unknown): value is SimFulfillmentState {
  return typeof value === 'string' && (FULFILLMENT_STATES as readonly string[]).includes(value);
}

function priceLine(wire: unknown, path: string, opts: PricingOptions): SimLineItem {
  if (!isObject(wire)) throw invalid(path, 'must be an object');
  const quantity = parseQuantity(wire['quantity'], `${path}.quantity`);
  const { name, unit, catalogId } = basePrice(wire, path, opts);
  const modifiers = asArray(wire['modifiers'], `${path}.modifiers`).map((mod, i) => priceModifier(mod, `${path}.modifiers[${i}]`, quantity, opts));
  const modifiersPerUnit = modifiers.reduce((sum, mod) => sum + mod.base_price_money.amount * Number(mod.quantity), 0);
  const gross = (unit + modifiersPerUnit) * quantity;
  return {
    uid: newSquareId().slice(0, 22),
    ...(catalogId !== undefined ? { catalog_object_id: catalogId } : {}),
    name,
    quantity: String(quantity),
    base_price_money: m(unit, opts.currency),
    ...(modifiers.length > 0 ? { modifiers } : {}),
    variation_total_price_money: m(unit * quantity, opts.currency),
    gross_sales_money: m(gross, opts.currency),
    total_tax_money: m(0, opts.currency),
    total_discount_money: m(0, opts.currency),
    total_money: m(gross, opts.currency),
  };
}

function priceModifier(wire: unknown, path: string, lineQuantity: number, opts: PricingOptions): SimModifier {
  if (!isObject(wire)) throw invalid(path, 'must be an object');
  const quantity = wire['quantity'] === undefined ? 1 : parseQuantity(wire['quantity'], `${path}.quantity`);
  const { name, unit, catalogId } = basePrice(wire, path, opts);
  return {
    uid: newSquareId().slice(0, 22),
    ...(catalogId !== undefined ? { catalog_object_id: catalogId } : {}),
    name,
    quantity: String(quantity),
    base_price_money: m(unit, opts.currency),
    total_price_money: m(unit * quantity * lineQuantity, opts.currency),
  };
}

/** Catalog objects are priced by the catalog unless base_price_money overrides; ad-hoc ones need name + price. */
function basePrice(wire: Wire, path: string, opts: PricingOptions): { name: string; unit: number; catalogId?: string } {
  const catalogId = wire['catalog_object_id'];
  const override = wire['base_price_money'] === undefined ? undefined : parseMoney(wire['base_price_money'], `${path}.base_price_money`, opts.currency);
  if (typeof catalogId === 'string') {
    const entry = opts.catalog[catalogId];
    if (!entry) throw new SimRequestError(404, { category: 'INVALID_REQUEST_ERROR', code: 'NOT_FOUND', detail: `Item variation with catalog object ID \`${catalogId}\` not found.`, field: `${path}.catalog_object_id` });
    return { name: entry.name, unit: override ?? entry.priceCents, catalogId };
  }
  const name = wire['name'];
  if (typeof name !== 'string' || name === '') throw missing(`${path}.name`);
  if (override === undefined) throw missing(`${path}.base_price_money`);
  return { name, unit: override };
}

function toFulfillment(wire: unknown, path: string): SimFulfillment {
  if (!isObject(wire)) throw invalid(path, 'must be an object');
  const type = wire['type'];
  if (typeof type !== 'string') throw missing(`${path}.type`);
  const state = wire['state'] ?? 'PROPOSED';
  if (!isFulfillmentState(state)) throw invalid(`${path}.state`, `unknown state ${String(state)}`);
  const pickup = wire['pickup_details'];
  return { uid: newSquareId().slice(0, 22), type, state, ...(isObject(pickup) ? { pickup_details: pickup } : {}) };
}

function parseQuantity(value: unknown, path: string): number {
  // Square sends quantities as strings; measurement units are out of the simulator's scope.
  if (typeof value !== 'string' || !/^[0-9]{1,6}$/.test(value)) throw invalid(path, 'quantity must be a string holding a whole number');
  return Number(value);
}

function parseMoney(value: unknown, path: string, currency: string): number {
  if (!isObject(value)) throw invalid(path, 'must be a Money object');
  const { amount, currency: given } = value;
  if (typeof amount !== 'number' || !Number.isSafeInteger(amount)) {
    throw new SimRequestError(400, { category: 'INVALID_REQUEST_ERROR', code: 'EXPECTED_INTEGER', detail: 'Expected an integer value.', field: `${path}.amount` });
  }
  if (given !== currency) throw invalid(`${path}.currency`, `currency must be ${currency}, the location's currency`);
  return amount;
}

function asArray(value: unknown, path: string): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw invalid(path, 'must be an array');
  return value;
}

function optionalString(wire: Wire, key: string): Record<string, string> {
  const value = wire[key];
  return typeof value === 'string' ? { [key]: value } : {};
}

function isObject(value: unknown): value is Wire {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function m(amount: number, currency: string): SimMoney {
  return { amount, currency };
}

function missing(field: string): SimRequestError {
  return new SimRequestError(400, { category: 'INVALID_REQUEST_ERROR', code: 'MISSING_REQUIRED_PARAMETER', detail: `Field must be set`, field });
}

function invalid(field: string, detail: string): SimRequestError {
  return new SimRequestError(400, { category: 'INVALID_REQUEST_ERROR', code: 'INVALID_VALUE', detail, field });
}
