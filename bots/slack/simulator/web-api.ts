/**
 * The Web API methods the bot uses, as functions of (params, caller) → Slack's JSON result, throwing
 * `SlackApiFailure` for Slack's `{ok:false, error}` answers. Params arrive as @slack/web-api sends them:
 * form fields, with objects (blocks, view) JSON-encoded.
 */
import { randomBytes } from 'node:crypto';
import { jsonParam } from '../../simulator-kit.js';
import { SlackApiFailure, type SimSlackMessage, type SimWorkspace, type SlackWorld } from './workspace.js';

export type SlackParams = Record<string, unknown>;

export interface SimView {
  id: string;
  teamId: string;
  /** The user a modal was opened for, or whose Home tab this is. */
  userId: string;
  externalId?: string;
  hash: string;
  view: Record<string, unknown>;
}

export interface SimTrigger { teamId: string; userId: string; expiresAt: number; used: boolean }

/** trigger_id lifetime: Slack refuses views.open after ~3 s (node-slack-sdk#1131). */
export const TRIGGER_TTL_MS = 3000;

export interface WebApiState {
  world: SlackWorld;
  appId: string;
  appToken: string;
  views: Map<string, SimView>;
  triggers: Map<string, SimTrigger>;
  /** Issues a single-use Socket Mode URL (apps.connections.open). */
  socketUrl(): string;
}

export type SlackMethod = (params: SlackParams, workspace: SimWorkspace) => Record<string, unknown>;

function str(params: SlackParams, key: string): string | undefined {
  const value = params[key];
  if (value === undefined || value === null || value === '') return undefined;
  return String(value);
}

function required(params: SlackParams, key: string): string {
  const value = str(params, key);
  if (value === undefined) throw new SlackApiFailure('invalid_arguments', { response_metadata: { messages: [`[ERROR] missing required field: ${key}`] } });
  return value;
}

/** Objects come JSON-encoded in form posts and as-is in JSON posts. */
const json = <T>(params: SlackParams, key: string): T | undefined => jsonParam<T>(params, key, () => new SlackApiFailure(`invalid_${key}`));

function bool(params: SlackParams, key: string): boolean {
  const value = params[key];
  return value === true || value === 'true' || value === '1';
}

/** What Slack returns for a message object in chat.* results. */
export function messageJson(message: SimSlackMessage, workspace: SimWorkspace, appId: string): Record<string, unknown> {
  return {
    type: 'message',
    ...(message.botId ? { bot_id: message.botId, app_id: appId } : {}),
    user: message.user,
    text: message.text,
    ts: message.ts,
    team: workspace.teamId,
    ...(message.blocks ? { blocks: message.blocks } : {}),
    ...(message.threadTs ? { thread_ts: message.threadTs } : {}),
    ...(message.edits > 0 ? { edited: { user: message.user, ts: message.ts } } : {}),
  };
}

function viewJson(view: SimView, appId: string, botId: string): Record<string, unknown> {
  return {
    id: view.id,
    team_id: view.teamId,
    app_id: appId,
    bot_id: botId,
    hash: view.hash,
    external_id: view.externalId ?? '',
    state: { values: {} },
    root_view_id: view.id,
    previous_view_id: null,
    private_metadata: '',
    callback_id: '',
    ...view.view,
  };
}

function checkBlocks(blocks: unknown): unknown[] | undefined {
  if (blocks === undefined) return undefined;
  if (!Array.isArray(blocks)) throw new SlackApiFailure('invalid_blocks');
  if (blocks.length > 50) throw new SlackApiFailure('invalid_blocks', { response_metadata: { messages: ['[ERROR] no more than 50 items allowed [json-pointer:/blocks]'] } });
  for (const block of blocks) {
    if (typeof block !== 'object' || block === null || typeof (block as { type?: unknown }).type !== 'string') throw new SlackApiFailure('invalid_blocks');
  }
  return blocks;
}

export function createWebApi(state: WebApiState): Record<string, SlackMethod> {
  const { world, appId } = state;

  function memberOrFail(channel: string, userId: string, teamId: string): void {
    const conversation = world.resolveChannel(teamId, channel);
    if (!conversation.members.includes(userId)) throw new SlackApiFailure('user_not_in_channel');
  }

  function takeTrigger(triggerId: string, teamId: string): SimTrigger {
    const trigger = state.triggers.get(triggerId);
    if (!trigger || trigger.teamId !== teamId) throw new SlackApiFailure('invalid_trigger_id');
    if (trigger.used || trigger.expiresAt < Date.now()) throw new SlackApiFailure('expired_trigger_id');
    trigger.used = true;
    return trigger;
  }

  function findView(params: SlackParams, teamId: string): SimView {
    const viewId = str(params, 'view_id');
    const externalId = str(params, 'external_id');
    const found = [...state.views.values()].find((v) => v.teamId === teamId && (viewId ? v.id === viewId : v.externalId === externalId));
    if (!found) throw new SlackApiFailure('not_found');
    return found;
  }

  function storeView(view: Record<string, unknown>, teamId: string, userId: string, existing?: SimView): SimView {
    if (typeof view['type'] !== 'string') throw new SlackApiFailure('invalid_arguments');
    checkBlocks(view['blocks'] ?? []);
    const externalId = typeof view['external_id'] === 'string' ? view['external_id'] : existing?.externalId;
    if (externalId !== undefined) {
      if (externalId.length > 255) throw new SlackApiFailure('invalid_arguments');
      const clash = [...state.views.values()].find((v) => v.teamId === teamId && v.externalId === externalId && v.id !== existing?.id);
      if (clash) throw new SlackApiFailure('duplicate_external_id');
    }
    const stored: SimView = {
      id: existing?.id ?? world.newId('V'),
      teamId,
      userId,
      ...(externalId !== undefined ? { externalId } : {}),
      hash: `${Date.now()}.${randomBytes(4).toString('hex')}`,
      view,
    };
    state.views.set(stored.id, stored);
    return stored;
  }

  /** The bot reads a conversation it is in (Slack: not_in_channel otherwise). */
  function readable(params: SlackParams, ws: SimWorkspace) {
    const channel = world.resolveChannel(ws.teamId, required(params, 'channel'));
    if (!channel.members.includes(ws.botUserId)) throw new SlackApiFailure('not_in_channel');
    return channel;
  }

  /** `oldest`/`latest` bounds (exclusive unless `inclusive`), as Slack applies them. */
  function inWindow(params: SlackParams, list: SimSlackMessage[]): SimSlackMessage[] {
    const oldest = Number(str(params, 'oldest') ?? 0);
    const latest = Number(str(params, 'latest') ?? Infinity);
    const inclusive = bool(params, 'inclusive');
    return list.filter((m) => {
      const t = Number(m.ts);
      return inclusive ? t >= oldest && t <= latest : t > oldest && t < latest;
    });
  }

  /** One page (`limit`, default 100, at most 999) with Slack's cursor; metadata only with include_all_metadata. */
  function page(params: SlackParams, ws: SimWorkspace, list: SimSlackMessage[]): Record<string, unknown> {
    const limit = Math.min(999, Math.max(1, Number(str(params, 'limit') ?? 100)));
    const start = Number(Buffer.from(str(params, 'cursor') ?? '', 'base64url').toString() || 0);
    const slice = list.slice(start, start + limit);
    const more = start + limit < list.length;
    const withMetadata = bool(params, 'include_all_metadata');
    return {
      messages: slice.map((m) => ({ ...messageJson(m, ws, appId), ...(withMetadata && m.metadata !== undefined ? { metadata: m.metadata } : {}) })),
      has_more: more,
      response_metadata: { next_cursor: more ? Buffer.from(String(start + limit)).toString('base64url') : '' },
    };
  }

  return {
    'auth.test': (_params, ws) => ({
      url: `https://${ws.domain}.slack.com/`,
      team: ws.teamName,
      user: 'rouh',
      team_id: ws.teamId,
      user_id: ws.botUserId,
      bot_id: ws.botId,
      is_enterprise_install: false,
    }),

    'chat.postMessage': (params, ws) => {
      const channel = world.resolveChannel(ws.teamId, required(params, 'channel'));
      const text = str(params, 'text') ?? '';
      const blocks = checkBlocks(json<unknown[]>(params, 'blocks'));
      if (text === '' && !blocks) throw new SlackApiFailure('no_text');
      if (text.length > 40_000) throw new SlackApiFailure('msg_too_long');
      const threadTs = str(params, 'thread_ts');
      const message = world.post({
        channel: channel.id,
        teamId: ws.teamId,
        user: ws.botUserId,
        botId: ws.botId,
        text,
        ...(blocks ? { blocks } : {}),
        ...(threadTs ? { threadTs } : {}),
        ...(bool(params, 'reply_broadcast') ? { replyBroadcast: true } : {}),
        ...(params['metadata'] !== undefined ? { metadata: json(params, 'metadata') } : {}),
      });
      return { channel: channel.id, ts: message.ts, message: messageJson(message, ws, appId) };
    },

    'chat.update': (params, ws) => {
      const channel = world.resolveChannel(ws.teamId, required(params, 'channel'));
      const ts = required(params, 'ts');
      const existing = world.find(channel.id, ts);
      if (!existing || existing.ephemeralTo !== undefined) throw new SlackApiFailure('message_not_found');
      if (existing.user !== ws.botUserId) throw new SlackApiFailure('cant_update_message');
      const text = str(params, 'text');
      const blocks = checkBlocks(json<unknown[]>(params, 'blocks'));
      if (text === undefined && !blocks) throw new SlackApiFailure('no_text');
      const message = world.update(channel.id, ts, { ...(text !== undefined ? { text } : {}), ...(blocks ? { blocks } : {}) });
      return { channel: channel.id, ts: message.ts, text: message.text, message: messageJson(message, ws, appId) };
    },

    'chat.postEphemeral': (params, ws) => {
      const channelId = required(params, 'channel');
      const user = required(params, 'user');
      memberOrFail(channelId, user, ws.teamId);
      const channel = world.resolveChannel(ws.teamId, channelId);
      const text = str(params, 'text') ?? '';
      const blocks = checkBlocks(json<unknown[]>(params, 'blocks'));
      if (text === '' && !blocks) throw new SlackApiFailure('no_text');
      const threadTs = str(params, 'thread_ts');
      const message = world.post({
        channel: channel.id,
        teamId: ws.teamId,
        user: ws.botUserId,
        botId: ws.botId,
        text,
        ephemeralTo: user,
        ...(blocks ? { blocks } : {}),
        ...(threadTs ? { threadTs } : {}),
      });
      return { message_ts: message.ts };
    },

    'views.open': (params, ws) => {
      const trigger = takeTrigger(required(params, 'trigger_id'), ws.teamId);
      const view = json<Record<string, unknown>>(params, 'view');
      if (!view) throw new SlackApiFailure('invalid_arguments');
      if (view['type'] !== 'modal') throw new SlackApiFailure('invalid_arguments');
      return { view: viewJson(storeView(view, ws.teamId, trigger.userId), appId, ws.botId) };
    },

    'views.update': (params, ws) => {
      const existing = findView(params, ws.teamId);
      const hash = str(params, 'hash');
      if (hash !== undefined && hash !== existing.hash) throw new SlackApiFailure('hash_conflict');
      const view = json<Record<string, unknown>>(params, 'view');
      if (!view) throw new SlackApiFailure('invalid_arguments');
      return { view: viewJson(storeView(view, ws.teamId, existing.userId, existing), appId, ws.botId) };
    },

    'views.publish': (params, ws) => {
      const userId = required(params, 'user_id');
      if (world.user(userId)?.teamId !== ws.teamId) throw new SlackApiFailure('user_not_found');
      const view = json<Record<string, unknown>>(params, 'view');
      if (!view || view['type'] !== 'home') throw new SlackApiFailure('invalid_arguments');
      const existing = [...state.views.values()].find((v) => v.teamId === ws.teamId && v.userId === userId && v.view['type'] === 'home');
      return { view: viewJson(storeView(view, ws.teamId, userId, existing), appId, ws.botId) };
    },

    'users.info': (params, ws) => {
      const user = world.user(required(params, 'user'));
      if (!user || user.teamId !== ws.teamId) throw new SlackApiFailure('user_not_found');
      return {
        user: {
          id: user.id,
          team_id: user.teamId,
          name: user.name,
          real_name: user.realName,
          deleted: false,
          is_bot: user.isBot,
          tz: user.tz,
          profile: { real_name: user.realName, display_name: user.name, team: user.teamId },
        },
      };
    },

    'conversations.open': (params, ws) => {
      const users = (str(params, 'users') ?? '').split(',').map((u) => u.trim()).filter(Boolean);
      const [userId] = users;
      if (users.length !== 1 || userId === undefined) throw new SlackApiFailure(users.length === 0 ? 'users_list_not_supplied' : 'not_supported');
      if (world.user(userId)?.teamId !== ws.teamId) throw new SlackApiFailure('user_not_found');
      const dm = world.openDm(ws.teamId, userId);
      return { channel: { id: dm.id } };
    },

    'conversations.members': (params, ws) => {
      const channel = world.resolveChannel(ws.teamId, required(params, 'channel'));
      return { members: [...channel.members], response_metadata: { next_cursor: '' } };
    },

    // Reads the bot uses to find a message it may already have posted (the outbox's check before a re-post).
    'conversations.history': (params, ws) => {
      const channel = readable(params, ws);
      const top = world.messages(channel.id).filter((m) => m.ephemeralTo === undefined && (m.threadTs === undefined || m.replyBroadcast));
      return page(params, ws, inWindow(params, top).reverse()); // newest first, as Slack lists a channel
    },

    'conversations.replies': (params, ws) => {
      const channel = readable(params, ws);
      const ts = required(params, 'ts');
      const parent = world.find(channel.id, ts);
      if (!parent || parent.ephemeralTo !== undefined) throw new SlackApiFailure('thread_not_found');
      const root = parent.threadTs ?? parent.ts;
      const thread = world.messages(channel.id).filter((m) => m.ephemeralTo === undefined && (m.ts === root || m.threadTs === root));
      return page(params, ws, inWindow(params, thread)); // parent first, then replies oldest first
    },
  };
}

/** apps.connections.open is the one method called with the app-level token rather than a bot token. */
export function connectionsOpen(state: WebApiState): Record<string, unknown> {
  return { ok: true, url: state.socketUrl() };
}
