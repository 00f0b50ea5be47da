/** The chat bots' settings, validated at start like src/config.ts (the composition root passes process.env). */
import { z } from 'zod';

const optional = z.string().min(1).optional();

const ChatConfigSchema = z.object({
  /** Single-workspace Slack: the bot token (xoxb-…) and the app's signing secret. */
  SLACK_BOT_TOKEN: optional,
  SLACK_SIGNING_SECRET: optional,
  /** Socket Mode instead of HTTP (xapp-… app-level token): no public URL needed. */
  SLACK_APP_TOKEN: optional,
  /** Many workspaces: OAuth installs (bots/slack/oauth.ts). The state secret is generated per data folder when unset. */
  SLACK_CLIENT_ID: optional,
  SLACK_CLIENT_SECRET: optional,
  SLACK_STATE_SECRET: optional,
  /** Where the Slack Web API is (the local simulator in the demo and tests). */
  SLACK_API_URL: z.url().optional(),
  TELEGRAM_BOT_TOKEN: optional,
  /** Where the Telegram Bot API is (the local simulator in the demo and tests). */
  TELEGRAM_API_ROOT: z.url().optional(),
  /** Secret token Telegram sends on webhook calls (A-Z a-z 0-9 _ -, 1-256 chars). */
  TELEGRAM_WEBHOOK_SECRET: z.string().regex(/^[A-Za-z0-9_-]{1,256}$/, 'must be 1-256 characters of A-Z a-z 0-9 _ -').optional(),
  CHAT_DRAFT_TTL_MINUTES: z.coerce.number().positive().default(30),
  /** With no tokens: start the Slack and Telegram simulators and connect the demo space to them. */
  CHAT_DEMO: z.enum(['true', 'false']).default('true').transform((v) => v === 'true'),
});

export type ChatConfig = z.infer<typeof ChatConfigSchema> & { draftTtlMs: number };

export class ChatConfigError extends Error {}

export function loadChatConfig(env: NodeJS.ProcessEnv = process.env): ChatConfig {
  const picked = Object.fromEntries(Object.keys(ChatConfigSchema.shape).map((k) => [k, env[k] === '' ? undefined : env[k]]));
  const parsed = ChatConfigSchema.safeParse(picked);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ChatConfigError(`Invalid configuration: ${issue?.path.join('.') ?? 'chat'} ${issue?.message ?? 'is invalid'}`);
  }
  const c = parsed.data;
  if (c.SLACK_BOT_TOKEN && !c.SLACK_SIGNING_SECRET && !c.SLACK_APP_TOKEN) {
    throw new ChatConfigError('Invalid configuration: SLACK_BOT_TOKEN needs SLACK_SIGNING_SECRET (HTTP mode) or SLACK_APP_TOKEN (Socket Mode)');
  }
  if ((c.SLACK_CLIENT_ID || c.SLACK_CLIENT_SECRET) && !(c.SLACK_CLIENT_ID && c.SLACK_CLIENT_SECRET && (c.SLACK_SIGNING_SECRET || c.SLACK_APP_TOKEN))) {
    throw new ChatConfigError('Invalid configuration: OAuth installs need SLACK_CLIENT_ID, SLACK_CLIENT_SECRET and SLACK_SIGNING_SECRET (or SLACK_APP_TOKEN for Socket Mode) together');
  }
  return { ...c, draftTtlMs: c.CHAT_DRAFT_TTL_MINUTES * 60_000 };
}
