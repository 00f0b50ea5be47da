/** Per-integration settings of the webhook handler; the signing secret lives in `integration.secrets.signingSecret`. */
import { z } from 'zod';
import type { IntegrationView } from '../../src/engine/types.js';
import { isValidWebhookSecret } from './signing.js';

export const webhookConfigSchema = z.object({
  // Not z.httpUrl(): it demands a dotted domain, which rules out the loopback receivers used in tests and demos.
  url: z.url({ protocol: /^https?$/ }),
  /** Spec suggests 15-30 s per delivery; anything much longer holds the customer's chat waiting. */
  timeoutSeconds: z.number().int().min(1).max(60).default(15),
  /** How long an accepted (202) order may wait for the provider's confirmation before the chain falls through. */
  confirmTimeoutMinutes: z.number().int().min(1).max(24 * 60).default(10),
});

export type WebhookConfig = z.infer<typeof webhookConfigSchema>;

export type WebhookSettings =
  | { ok: true; config: WebhookConfig; secret: string }
  | { ok: false; reason: string };

/** Validates config and secret together, so `canHandle` and `execute` agree on what "configured" means. */
export function readWebhookSettings(integration: IntegrationView): WebhookSettings {
  const parsed = webhookConfigSchema.safeParse(integration.config);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join('.') || 'config';
    return { ok: false, reason: `webhook config ${field}: ${issue?.message ?? 'invalid'}` };
  }
  const secret = integration.secrets.signingSecret;
  if (!isValidWebhookSecret(secret)) {
    return { ok: false, reason: 'webhook signingSecret is missing or not a whsec_ secret of 24-64 bytes' };
  }
  return { ok: true, config: parsed.data, secret };
}
