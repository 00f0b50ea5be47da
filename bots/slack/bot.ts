/**
 * The Slack bot: @slack/bolt in HTTP mode at /slack/events inside the service's express app (Bolt's
 * ExpressReceiver adds its route to a router mounted before any body parser, so it reads the raw body and
 * checks the v0 signature and the 5-minute window itself), or in Socket Mode when an app-level token is
 * given. Every listener answers Slack first (events are acked by Bolt before listeners run; commands and
 * actions call ack()), then hands the message to the conversation runtime. It never calls a provider.
 * Bolt's `authorize` picks each event's bot by workspace: the workspace's own token (an OAuth install, see
 * ./oauth.ts, or a token given to the connections API), else SLACK_BOT_TOKEN in its own workspace.
 */
import express from 'express';
import type { Logger as PinoLogger } from 'pino';
import { z } from 'zod';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import { slackErrorBodies } from './error-bodies.js';
import { ErrorBody, noAuth, op } from '../../src/api/openapi.js';
import bolt from '@slack/bolt';
import { ChatDraft } from '../storage/models.js';
import { slackUserId, threadKey, TransportError, type ChatTransport, type Reply, type SentRef, type ThreadRef } from '../conversation/types.js';
import type { PlatformBot, PlatformBotFactory } from '../platform.js';
import { markSlackUninstalled, slackCredentials } from './installations.js';
import { createSlackOAuth, type SlackOAuthOptions } from './oauth.js';
import { ACTION_ID_PATTERN, toBlockKit } from './render.js';

const { App, ExpressReceiver, LogLevel, webApi } = bolt;
type BoltApp = InstanceType<typeof App>;
type WebClient = BoltApp['client'];

export interface SlackBotOptions {
  /** Single-workspace bot token (xoxb-…): used for its own workspace when that one has no token of its own. */
  botToken?: string;
  /** Many workspaces: OAuth installs (bots/slack/oauth.ts); each workspace's token is then found per event. */
  oauth?: Pick<SlackOAuthOptions, 'clientId' | 'clientSecret' | 'stateSecret' | 'scopes'>;
  /** HTTP mode: the app's signing secret. */
  signingSecret?: string;
  /** Socket Mode: the app-level token (xapp-…); no public URL needed. */
  appToken?: string;
  /** Web API base (the simulator in the demo and tests); Slack's own when unset. */
  apiUrl?: string;
  /** HTTP path for events, commands and interactions. */
  endpoint?: string;
  /** More listeners on the same Bolt app (the operators' cards and App Home: bots/slack/operators). */
  extend?: (app: BoltApp, clientFor: SlackClientFor) => void;
}

/** Bolt logs through our pino logger. */
function boltLogger(log: PinoLogger) {
  let level = LogLevel.INFO;
  return {
    debug: (...m: unknown[]) => log.debug(m.map(String).join(' ')),
    info: (...m: unknown[]) => log.info(m.map(String).join(' ')),
    warn: (...m: unknown[]) => log.warn(m.map(String).join(' ')),
    error: (...m: unknown[]) => log.error(m.map((x) => (x instanceof Error ? x.message : String(x))).join(' ')),
    setLevel: (l: typeof level) => { level = l; },
    getLevel: () => level,
    setName: () => undefined,
  };
}

/** Slack Web API failures → what the outbox should do. */
export function classifySlackError(err: unknown): TransportError {
  const e = err as { code?: string; retryAfter?: number; statusCode?: number; data?: { error?: string }; message?: string };
  switch (e?.code) {
    case 'slack_webapi_rate_limited_error':
      return new TransportError({ kind: 'rate_limited', retryAfterMs: Math.max(1, e.retryAfter ?? 1) * 1000 });
    case 'slack_webapi_http_error':
      return new TransportError((e.statusCode ?? 500) >= 500 || e.statusCode === 408
        ? { kind: 'unavailable', message: `Slack answered HTTP ${e.statusCode}` }
        : { kind: 'permanent', message: `Slack answered HTTP ${e.statusCode}` });
    case 'slack_webapi_platform_error': {
      const code = e.data?.error ?? 'unknown';
      if (['ratelimited', 'internal_error', 'fatal_error', 'service_unavailable', 'request_timeout'].includes(code)) return new TransportError({ kind: 'unavailable', message: `Slack: ${code}` });
      return new TransportError({ kind: 'permanent', message: `Slack: ${code}` });
    }
    default:
      return new TransportError({ kind: 'unavailable', message: `Slack unreachable: ${e?.message ?? String(err)}` });
  }
}

/** The Slack bot as the chat extension sees it: the install link maker when OAuth is on. */
export type SlackPlatformBot = PlatformBot & { installUrl: ((code: string) => string) | null; teamId(): Promise<string> };

/** `slack:<team>:<user>` → the Slack user id. */
const slackUser = (userId: string | null) => (userId?.startsWith('slack:') ? userId.split(':')[2] ?? null : null);

/** The Web API client for a workspace: its own bot token when the connection has one, else the deployment's. */
export type SlackClientFor = (teamId: string) => Promise<WebClient>;

export function createSlackTransport(clientFor: SlackClientFor): ChatTransport {
  const call = async <T>(fn: () => Promise<T>): Promise<T> => {
    try { return await fn(); } catch (err) { throw classifySlackError(err); }
  };
  return {
    platform: 'slack',
    async post(thread: ThreadRef, reply: Reply, opts: { userId: string | null }): Promise<SentRef> {
      const body = toBlockKit(reply);
      const user = slackUser(opts.userId);
      const threadTs = thread.thread ?? undefined;
      const client = await clientFor(thread.workspace);
      if (reply.ephemeral && user) {
        const r = await call(() => client.chat.postEphemeral({ channel: thread.channel, user, ...body, ...(threadTs ? { thread_ts: threadTs } : {}) }));
        return { messageId: String(r.message_ts ?? '') };
      }
      const r = await call(() => client.chat.postMessage({ channel: thread.channel, ...body, ...(threadTs ? { thread_ts: threadTs } : {}) }));
      return { messageId: String(r.ts) };
    },
    async edit(thread: ThreadRef, ref: SentRef, reply: Reply): Promise<void> {
      const client = await clientFor(thread.workspace);
      await call(() => client.chat.update({ channel: thread.channel, ts: ref.messageId, ...toBlockKit(reply) }));
    },
  };
}

const stripMention = (text: string, botUserId: string | null) => (botUserId ? text.replaceAll(`<@${botUserId}>`, ' ') : text.replace(/<@[UW][A-Z0-9]+>/g, ' ')).trim();

/**
 * The Request URL (HTTP mode) in the service's OpenAPI document. Bolt's own refusals (401 for a missing, stale
 * or wrong signature, 400 for an unreadable body, 413 for a large one) carry the API's JSON error body.
 */
function slackEventsPaths(endpoint: string): ZodOpenApiPathsObject {
  const empty = (description: string) => ({ description });
  const failure = (description: string) => ({ description, content: { 'application/json': { schema: ErrorBody } } });
  return {
    [endpoint]: {
      post: op('Inbound chat', 'Slack delivers events, slash commands and interactions (Bolt, HTTP mode)', {
        security: noAuth,
        requestParams: {
          header: z.object({
            'x-slack-signature': z.string().meta({ description: '`v0=<hex HMAC-SHA256>` over `v0:<timestamp>:<raw body>` with SLACK_SIGNING_SECRET' }),
            'x-slack-request-timestamp': z.string().meta({ description: 'Unix seconds; older than 5 minutes is refused' }),
          }),
        },
        requestBody: {
          content: {
            'application/json': { schema: z.object({ type: z.string() }).loose() },
            'application/x-www-form-urlencoded': { schema: z.object({ payload: z.string().optional(), command: z.string().optional() }).loose() },
          },
        },
        responses: {
          '200': empty('Acknowledged (url_verification answers with its challenge)'),
          '400': failure('Unreadable body'),
          '401': failure('Missing, stale or wrong signature'),
          '413': failure('Body too large'),
        },
      }),
    },
  };
}

/** A workspace's bot: its token and who the bot is there (Bolt's ignoreSelf and mention handling need both). */
interface WorkspaceBot { botToken: string; botId: string; botUserId: string; teamId: string }

export function slackBot(opts: SlackBotOptions): PlatformBotFactory {
  return ({ inbound, logger, publicBaseUrl }): PlatformBot => {
    const log = logger.child({ platform: 'slack' });
    const clientOptions = { ...(opts.apiUrl ? { slackApiUrl: opts.apiUrl } : {}), retryConfig: { retries: 0 }, rejectRateLimitedCalls: true, timeout: 10_000 };
    const router = express.Router();
    router.use(opts.endpoint ?? '/slack/events', slackErrorBodies); // before Bolt's route: its refusals get a JSON body
    const socketMode = !!opts.appToken;
    if (!socketMode && !opts.signingSecret) throw new Error('Slack HTTP mode needs a signing secret');
    if (!opts.botToken && !opts.oauth) throw new Error('Slack needs a bot token or OAuth client credentials');
    const receiver = socketMode ? undefined : new ExpressReceiver({
      signingSecret: opts.signingSecret!, router, endpoints: opts.endpoint ?? '/slack/events', logger: boltLogger(log),
      // An exception after ack must not turn into a 500 the platform would retry: the runtime logs its own.
      processBeforeResponse: false,
    });
    const oauth = opts.oauth ? createSlackOAuth({ ...opts.oauth, publicBaseUrl, logger: log, ...(opts.apiUrl ? { apiUrl: opts.apiUrl } : {}) }) : null;

    // One Web API client per token: the deployment's (SLACK_BOT_TOKEN), and each workspace's own (OAuth
    // install, or a token given to the connections API).
    const clients = new Map<string, WebClient>();
    const clientOf = (token: string): WebClient => {
      let client = clients.get(token);
      if (!client) {
        client = new webApi.WebClient(token, clientOptions);
        clients.set(token, client);
      }
      return client;
    };
    let deployment: WorkspaceBot | null = null;
    const workspaceBots = new Map<string, { bot: WorkspaceBot | null; at: number }>();
    /**
     * The workspace's own bot, ids from the install or else auth.test once. Cached 30 s (installs change
     * rarely); "none" only 2 s, so a workspace installed or given a token is served at once.
     */
    const ownBot = async (teamId: string): Promise<WorkspaceBot | null> => {
      const hit = workspaceBots.get(teamId);
      if (hit && Date.now() - hit.at < (hit.bot ? 30_000 : 2_000)) return hit.bot;
      const creds = await slackCredentials(teamId);
      let bot: WorkspaceBot | null = null;
      if (creds) {
        if (creds.botId && creds.botUserId) bot = { botToken: creds.botToken, botId: creds.botId, botUserId: creds.botUserId, teamId };
        else {
          const me = await clientOf(creds.botToken).auth.test();
          bot = { botToken: creds.botToken, botId: String(me.bot_id ?? ''), botUserId: String(me.user_id ?? ''), teamId };
        }
      }
      workspaceBots.set(teamId, { bot, at: Date.now() });
      return bot;
    };
    /** Which bot speaks in a workspace: its own, else the deployment's in the deployment's own workspace. */
    const botFor = async (teamId: string): Promise<WorkspaceBot | null> =>
      (await ownBot(teamId)) ?? (deployment && (deployment.teamId === teamId || !teamId) ? deployment : null);
    const clientFor: SlackClientFor = async (teamId) => {
      const bot = await botFor(teamId);
      if (!bot) throw new TransportError({ kind: 'permanent', message: 'Slack: the app is not installed in this workspace' });
      return clientOf(bot.botToken);
    };

    const app = new App({
      // Bolt asks for every incoming event's workspace (app_uninstalled and tokens_revoked skip it).
      authorize: async ({ teamId }) => {
        const bot = await botFor(teamId ?? '');
        if (!bot) throw new Error(`no bot token for workspace ${teamId ?? '?'}`);
        return { ...bot };
      },
      clientOptions, deferInitialization: true, logger: boltLogger(log),
      ...(socketMode ? { socketMode: true, appToken: opts.appToken, installerOptions: { clientOptions } } : { receiver }),
    });

    const run = (what: string, fn: () => Promise<void>) => fn().catch((err: unknown) => log.error({ err: (err as Error)?.message, what }, 'slack handling failed'));

    // DMs, and thread replies in channels where a draft is open (mentions arrive as app_mention).
    app.event('message', async ({ event, body, context }) => run('message', async () => {
      const botUserId = context.botUserId ?? null;
      const e = event as { subtype?: string; bot_id?: string; user?: string; text?: string; ts: string; thread_ts?: string; channel: string; channel_type?: string };
      if (e.subtype || e.bot_id || !e.user) return;
      const team = (body as { team_id?: string }).team_id ?? '';
      const thread: ThreadRef = { platform: 'slack', workspace: team, channel: e.channel, thread: e.thread_ts ?? e.ts };
      if (e.channel_type !== 'im') {
        if (!e.thread_ts || (botUserId && e.text?.includes(`<@${botUserId}>`))) return;
        if (!(await ChatDraft.exists({ _id: threadKey(thread) }))) return;
      }
      await inbound.handleMessage({ thread, user: { id: slackUserId(team, e.user) }, text: e.text ?? '', eventId: (body as { event_id: string }).event_id, messageId: e.ts });
    }));

    app.event('app_mention', async ({ event, body, context }) => run('app_mention', async () => {
      const botUserId = context.botUserId ?? null;
      const e = event as { user?: string; text?: string; ts: string; thread_ts?: string; channel: string };
      if (!e.user) return;
      const team = (body as { team_id?: string }).team_id ?? '';
      await inbound.handleMessage({
        thread: { platform: 'slack', workspace: team, channel: e.channel, thread: e.thread_ts ?? e.ts }, user: { id: slackUserId(team, e.user) },
        text: stripMention(e.text ?? '', botUserId), eventId: (body as { event_id: string }).event_id, messageId: e.ts,
      });
    }));

    app.command('/order', async ({ command, ack }) => {
      await ack();
      await run('command', async () => {
        // A slash command has no message to thread under: the request itself becomes the thread's first message.
        const client = await clientFor(command.team_id);
        const root = await client.chat.postMessage({ channel: command.channel_id, text: `<@${command.user_id}> ordered: ${command.text || '(nothing yet)'}` });
        const team = command.team_id;
        await inbound.handleMessage({
          thread: { platform: 'slack', workspace: team, channel: command.channel_id, thread: String(root.ts) }, user: { id: slackUserId(team, command.user_id) },
          text: `/order ${command.text}`, eventId: `command:${command.trigger_id}`, messageId: String(root.ts),
        });
      });
    });

    app.action(ACTION_ID_PATTERN, async ({ ack, body, action }) => {
      await ack();
      await run('action', async () => {
        const b = body as { team?: { id: string } | null; user: { id: string; team_id?: string }; channel?: { id: string }; message?: { ts: string; thread_ts?: string }; trigger_id?: string };
        const a = action as { value?: string; action_ts?: string };
        if (!b.channel || !b.message || !a.value) return;
        const team = b.team?.id ?? b.user.team_id ?? '';
        await inbound.handleButton({
          thread: { platform: 'slack', workspace: team, channel: b.channel.id, thread: b.message.thread_ts ?? b.message.ts },
          user: { id: slackUserId(team, b.user.id) }, value: a.value, eventId: `action:${b.trigger_id ?? `${b.message.ts}:${a.action_ts}`}`,
        });
      });
    });

    // The app removed from a workspace, or its bot token revoked: forget the token, show it on the connection.
    const uninstalled = async (teamId: string) => {
      await markSlackUninstalled(teamId, new Date());
      workspaceBots.delete(teamId);
      log.info({ team: teamId }, 'slack app uninstalled');
    };
    app.event('app_uninstalled', async ({ body }) => run('app_uninstalled', () => uninstalled((body as { team_id: string }).team_id)));
    app.event('tokens_revoked', async ({ event, body }) => run('tokens_revoked', async () => {
      if (((event as { tokens?: { bot?: string[] } }).tokens?.bot ?? []).length > 0) await uninstalled((body as { team_id: string }).team_id);
    }));

    opts.extend?.(app, clientFor);

    // Slack retries and Socket Mode redeliveries carry the same event_id: the runtime drops repeats by it.
    app.error(async (err) => { log.error({ err: err.message }, 'bolt error'); });

    return {
      platform: 'slack',
      transport: createSlackTransport(clientFor),
      routers: [...(receiver ? [router] : []), ...(oauth ? [oauth.router] : [])],
      openApiPaths: { ...(receiver ? slackEventsPaths(opts.endpoint ?? '/slack/events') : {}), ...(oauth?.openApiPaths ?? {}) },
      installUrl: oauth ? oauth.installUrl : null,
      async start() {
        await app.init();
        const mode = socketMode ? 'Socket Mode' : `events at ${opts.endpoint ?? '/slack/events'}`;
        const lines: string[] = [];
        if (opts.botToken) {
          const me = await clientOf(opts.botToken).auth.test();
          deployment = { botToken: opts.botToken, botId: String(me.bot_id ?? ''), botUserId: String(me.user_id ?? ''), teamId: String(me.team_id ?? '') };
          log.info({ team: me.team_id, socketMode }, 'slack bot connected');
          lines.push(`  Slack: ${(me.team as string | undefined) ?? me.team_id} (${mode})`);
        }
        if (oauth) lines.push(`  Slack: OAuth installs through each space's link (POST /chat/connections), ${mode}`);
        if (socketMode) await app.start();
        return lines;
      },
      async close() {
        if (socketMode) await app.stop().catch(() => undefined);
      },
      teamId: async () => {
        if (!opts.botToken) throw new Error('no deployment bot token');
        return (await clientOf(opts.botToken).auth.test()).team_id as string;
      },
    } as SlackPlatformBot;
  };
}
