import { createHmac } from 'node:crypto';
import { z } from 'zod';

/** The Telegram bot's settings, validated at start (nothing else reads them from the environment). */
export const TelegramConfigSchema = z.object({
  /** BotFather's token, `<bot id>:<secret>`. */
  TELEGRAM_BOT_TOKEN: z.string().regex(/^\d+:[A-Za-z0-9_-]+$/, 'must look like 123456:ABC-DEF… (from BotFather)'),
  /** X-Telegram-Bot-Api-Secret-Token for the webhook; derived from the bot token when unset. */
  TELEGRAM_WEBHOOK_SECRET: z.string().regex(/^[A-Za-z0-9_-]{16,256}$/, 'must be 16-256 characters of A-Z a-z 0-9 _ -').optional(),
  /** Bot API root; the local simulator in the demo and tests. */
  TELEGRAM_API_ROOT: z.url().default('https://api.telegram.org'),
});

export type TelegramConfig = z.infer<typeof TelegramConfigSchema>;

/** Stable across restarts and processes, and not the token itself (the secret travels in every webhook request). */
export function defaultWebhookSecret(botToken: string): string {
  return createHmac('sha256', botToken).update('rouh telegram webhook').digest('hex');
}
