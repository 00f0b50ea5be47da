/**
 * What a Square integration needs, declared once. Parsed at execute time (not at registration) so a bad
 * config becomes a recorded `misconfigured` failure on the action instead of a silently skipped handler.
 */
import { SquareEnvironment } from 'square';
import { z } from 'zod';
import type { IntegrationView } from '../../src/engine/types.js';

/** Our ids → Square catalog ids. Unmapped items are sent ad hoc (name + our price). */
export const squareCatalogMapSchema = z.object({
  /** Our sku → Square ITEM_VARIATION id. */
  items: z.record(z.string(), z.string().min(1)).default({}),
  /** Our modifier id → Square MODIFIER id. */
  modifiers: z.record(z.string(), z.string().min(1)).default({}),
});

export const squareConfigSchema = z
  .object({
    locationId: z.string().min(1),
    /** Points the SDK at a custom host (the simulator, a proxy). Exclusive with `environment`. */
    baseUrl: z.url({ protocol: /^https?$/ }).optional(),
    environment: z.enum(['production', 'sandbox']).optional(),
    /** Falls back to the provider's prepMinutes. */
    prepMinutes: z.number().int().min(0).max(24 * 60).optional(),
    /** Per-request budget; kept well under the job lock so one attempt cannot outlive it. */
    timeoutSeconds: z.number().positive().max(120).default(10),
    catalogMap: squareCatalogMapSchema.optional(),
  })
  .refine((c) => (c.baseUrl === undefined) !== (c.environment === undefined), {
    message: 'set exactly one of baseUrl or environment',
    path: ['baseUrl'],
  });

/** HTTP header values must be ByteStrings: a token pasted with "…" or a space would fail every call. */
const printableAscii = /^[\x21-\x7e]+$/;

export const squareSecretsSchema = z.object({
  accessToken: z.string().min(1).regex(printableAscii, 'must be the token exactly as Square shows it (printable ASCII, no spaces or "…")'),
  /** Only needed by the webhook route, not by execute(). */
  webhookSignatureKey: z.string().min(1).optional(),
});

export type SquareConfig = z.infer<typeof squareConfigSchema>;
export type SquareSecrets = z.infer<typeof squareSecretsSchema>;

export type ParsedSquareIntegration =
  | { ok: true; config: SquareConfig; secrets: SquareSecrets; baseUrl: string }
  | { ok: false; message: string };

/** Validates config and secrets. The message names fields only: zod issues never echo secret values here. */
export function parseSquareIntegration(integration: Pick<IntegrationView, 'config' | 'secrets'>): ParsedSquareIntegration {
  const config = squareConfigSchema.safeParse(integration.config);
  const secrets = squareSecretsSchema.safeParse(integration.secrets);
  const problems = [
    ...(config.success ? [] : config.error.issues.map((i) => `config.${i.path.join('.')}: ${i.message}`)),
    ...(secrets.success ? [] : secrets.error.issues.map((i) => `secrets.${i.path.join('.')}: ${i.message}`)),
  ];
  if (!config.success || !secrets.success) {
    return { ok: false, message: `Square integration is misconfigured (${problems.join('; ')})` };
  }
  return { ok: true, config: config.data, secrets: secrets.data, baseUrl: resolveBaseUrl(config.data) };
}

function resolveBaseUrl(config: SquareConfig): string {
  if (config.baseUrl !== undefined) return config.baseUrl;
  return config.environment === 'sandbox' ? SquareEnvironment.Sandbox : SquareEnvironment.Production;
}
