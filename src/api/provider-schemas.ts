/** Request bodies of the provider onboarding API (they describe the API; the services check the rest). */
import { z } from 'zod';
import { INTEGRATION_TYPES } from '../engine/types.js';
import { plainText } from './text.js';

const timeZone = z.string().trim().min(1).max(64).meta({ override: { enum: Intl.supportedValuesOf('timeZone') }, example: 'America/New_York' }).transform((tz, ctx) => {
  try {
    // Canonical spelling ("america/new_york" → "America/New_York"); throws RangeError for unknown zones.
    return new Intl.DateTimeFormat(undefined, { timeZone: tz }).resolvedOptions().timeZone;
  } catch {
    ctx.addIssue({ code: 'custom', message: 'must be an IANA time zone such as America/New_York' });
    return z.NEVER;
  }
});

const KNOWN_CURRENCIES = new Set(Intl.supportedValuesOf('currency'));
/** What `currency` accepts, for the OpenAPI document (the superRefine below is the check). */
export const SUPPORTED_CURRENCIES = [...KNOWN_CURRENCIES].filter((c) => new Intl.NumberFormat('en-US', { style: 'currency', currency: c }).resolvedOptions().maximumFractionDigits === 2);
const currency = z.string().meta({ override: { enum: SUPPORTED_CURRENCIES }, example: 'USD' }).superRefine((c, ctx) => {
  if (!/^[A-Z]{3}$/.test(c) || !KNOWN_CURRENCIES.has(c)) {
    ctx.addIssue({ code: 'custom', message: 'must be an ISO 4217 currency code such as USD' });
  } else if (new Intl.NumberFormat('en-US', { style: 'currency', currency: c }).resolvedOptions().maximumFractionDigits !== 2) {
    // Money is integer cents and formatted as cents / 100 everywhere (engine/money.ts).
    ctx.addIssue({ code: 'custom', message: `${c} is not supported: prices are integer cents, so the currency must have 2 decimal places` });
  }
});

const ProviderFields = {
  name: plainText(120),
  timezone: timeZone,
  currency,
  orderPrefix: z.string().regex(/^[A-Z]{1,6}$/, 'must be 1-6 capital letters such as DC'),
  contactEmail: z.email(),
  /** The café's phone, shown to operators on manual task cards (E.164). */
  contactPhone: z.string().regex(/^\+[1-9]\d{1,14}$/, 'must be an E.164 number such as +12125550147'),
  prepMinutes: z.number().int('must be a whole number of minutes').min(0).max(240),
  chainOrder: z.array(z.enum(INTEGRATION_TYPES)).min(1).max(4)
    .refine((a) => new Set(a).size === a.length, 'must not repeat an integration type').meta({ override: { uniqueItems: true } }),
};

export const CreateProvider = z.strictObject({
  ...ProviderFields,
  contactEmail: ProviderFields.contactEmail.optional(),
  contactPhone: ProviderFields.contactPhone.optional(),
  prepMinutes: ProviderFields.prepMinutes.default(10),
  chainOrder: ProviderFields.chainOrder.optional(),
});

/** Partial; null clears contactEmail, contactPhone and chainOrder (back to the default api → webhook → email → manual). */
export const PatchProvider = z.strictObject({
  name: ProviderFields.name.optional(),
  timezone: ProviderFields.timezone.optional(),
  currency: ProviderFields.currency.optional(),
  orderPrefix: ProviderFields.orderPrefix.optional(),
  contactEmail: ProviderFields.contactEmail.nullable().optional(),
  contactPhone: ProviderFields.contactPhone.nullable().optional(),
  prepMinutes: ProviderFields.prepMinutes.optional(),
  chainOrder: ProviderFields.chainOrder.nullable().optional(),
});

const cents = z.number().int('must be whole cents (an integer)').min(0, 'must not be negative').max(100_000_000);
const externalIds = z.record(z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be letters, digits, _ or -'), z.string().min(1).max(200)).optional();
const aliases = z.array(plainText(200)).max(100).default([]);

/** The parser's catalog import format (see catalog-cafe.json); a `provider` block is accepted and ignored. */
export const CatalogBody = z.object({
  items: z.array(z.object({
    sku: plainText(100),
    name: plainText(200),
    aliases,
    price_cents: cents,
    category: plainText(100, { allowEmpty: true }).nullable().optional(),
    external_ids: externalIds,
  })).min(1, 'at least one item is required').max(5000),
  modifiers: z.array(z.object({
    id: plainText(100),
    name: plainText(200),
    aliases,
    price_cents: cents.default(0),
    external_ids: externalIds,
  })).max(1000).default([]),
});

const priority = z.number().int('must be a whole number').min(0).max(1_000_000);
const configObject = z.record(z.string(), z.unknown());

export const CreateIntegration = z.strictObject({
  type: z.enum(INTEGRATION_TYPES),
  name: plainText(60),
  priority,
  enabled: z.boolean().default(true),
  config: configObject.default({}),
});

export const PatchIntegration = z.strictObject({
  priority: priority.optional(),
  enabled: z.boolean().optional(),
  config: configObject.optional(),
});

const SECRET_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
/** `null` removes a secret. */
export const SecretsBody = z.strictObject({
  values: z.record(z.string().regex(SECRET_NAME, 'secret names are letters, digits and _'), z.string().min(1).max(8192).nullable())
    .refine((v) => Object.keys(v).length > 0, 'at least one secret is required').meta({ override: { minProperties: 1 } }),
});
