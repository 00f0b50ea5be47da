/**
 * The state behind the Slack simulator: workspaces (one app installed in each), users, conversations and the
 * messages in them, with Slack's ts / thread_ts rules. Pure in-memory data with no HTTP, so the Web API
 * methods and the driver share one picture of "what the customer sees".
 */
import { EventEmitter } from 'node:events';

export interface SimWorkspace {
  teamId: string;
  teamName: string;
  domain: string;
  botToken: string;
  botUserId: string;
  botId: string;
}

export interface SimSlackUser {
  id: string;
  teamId: string;
  name: string;
  realName: string;
  tz: string;
  isBot: boolean;
}

export type SimConversationKind = 'im' | 'channel' | 'group';

export interface SimConversation {
  id: string;
  teamId: string;
  kind: SimConversationKind;
  name: string;
  members: string[];
}

export interface SimSlackMessage {
  channel: string;
  teamId: string;
  ts: string;
  /** Parent's ts for a thread reply; absent for top-level messages (Slack leaves it off until a thread exists). */
  threadTs?: string;
  /** Author: a user id (the bot's own user id for its messages). */
  user: string;
  /** Set on messages the app posted. */
  botId?: string;
  text: string;
  blocks?: unknown[];
  /** For chat.postEphemeral: only this user sees it. */
  ephemeralTo?: string;
  replyBroadcast?: boolean;
  metadata?: unknown;
  /** How many times chat.update changed it; the latest content is in text/blocks. */
  edits: number;
  /** Every version of text, oldest first (the current one last). */
  textHistory: string[];
}

export class SlackApiFailure extends Error {
  constructor(readonly error: string, readonly extra: Record<string, unknown> = {}) {
    super(error);
  }
}

/** Slack ts: "<unix seconds>.<6 digits>", unique per channel and strictly increasing; we keep it global. */
function tsFactory(): () => string {
  let last = 0;
  return () => {
    const micros = Math.max(Date.now() * 1000, last + 1);
    last = micros;
    return `${Math.floor(micros / 1e6)}.${String(micros % 1e6).padStart(6, '0')}`;
  };
}

export class SlackWorld extends EventEmitter {
  readonly workspaces = new Map<string, SimWorkspace>();
  private readonly users = new Map<string, SimSlackUser>();
  private readonly conversations = new Map<string, SimConversation>();
  private readonly messagesByChannel = new Map<string, SimSlackMessage[]>();
  private readonly nextTs = tsFactory();
  private idCounter = 0;

  newId(prefix: string): string {
    this.idCounter += 1;
    return `${prefix}0SIM${String(this.idCounter).padStart(5, '0')}`;
  }

  newTs(): string {
    return this.nextTs();
  }

  addWorkspace(input: Partial<SimWorkspace> = {}): SimWorkspace {
    const teamId = input.teamId ?? this.newId('T');
    const workspace: SimWorkspace = {
      teamId,
      teamName: input.teamName ?? `Workspace ${teamId}`,
      domain: input.domain ?? teamId.toLowerCase(),
      botToken: input.botToken ?? `xoxb-sim-${teamId}`,
      botUserId: input.botUserId ?? this.newId('U'),
      botId: input.botId ?? this.newId('B'),
    };
    this.workspaces.set(teamId, workspace);
    this.users.set(workspace.botUserId, { id: workspace.botUserId, teamId, name: 'rouh', realName: 'Rouh', tz: 'UTC', isBot: true });
    return workspace;
  }

  workspaceByBotToken(token: string): SimWorkspace | undefined {
    return [...this.workspaces.values()].find((w) => w.botToken === token);
  }

  workspace(teamId: string): SimWorkspace {
    const workspace = this.workspaces.get(teamId);
    if (!workspace) throw new Error(`no simulated workspace ${teamId}`);
    return workspace;
  }

  addUser(input: Partial<SimSlackUser> & { teamId: string }): SimSlackUser {
    const id = input.id ?? this.newId('U');
    const name = input.name ?? `user-${id.toLowerCase()}`;
    const user: SimSlackUser = { id, teamId: input.teamId, name, realName: input.realName ?? name, tz: input.tz ?? 'America/New_York', isBot: false };
    this.users.set(id, user);
    return user;
  }

  user(id: string): SimSlackUser | undefined {
    return this.users.get(id);
  }

  addConversation(input: { teamId: string; kind: SimConversationKind; name?: string; members: string[]; id?: string }): SimConversation {
    const prefix = input.kind === 'im' ? 'D' : input.kind === 'group' ? 'G' : 'C';
    const id = input.id ?? this.newId(prefix);
    const conversation: SimConversation = { id, teamId: input.teamId, kind: input.kind, name: input.name ?? id.toLowerCase(), members: [...new Set(input.members)] };
    this.conversations.set(id, conversation);
    this.messagesByChannel.set(id, []);
    return conversation;
  }

  conversation(id: string): SimConversation | undefined {
    return this.conversations.get(id);
  }

  /** The bot's DM with a user, created on first use (what conversations.open does). */
  openDm(teamId: string, userId: string): SimConversation {
    const workspace = this.workspace(teamId);
    const existing = [...this.conversations.values()].find((c) => c.kind === 'im' && c.teamId === teamId && c.members.includes(userId) && c.members.includes(workspace.botUserId));
    return existing ?? this.addConversation({ teamId, kind: 'im', members: [userId, workspace.botUserId] });
  }

  /** A conversation the workspace can see, or Slack's `channel_not_found` (also across workspaces). */
  resolveChannel(teamId: string, channel: string): SimConversation {
    // Posting to a user id opens (or reuses) the DM with them, as Slack does.
    const user = this.users.get(channel);
    if (user && user.teamId === teamId && !user.isBot) return this.openDm(teamId, user.id);
    const conversation = this.conversations.get(channel);
    if (!conversation || conversation.teamId !== teamId) throw new SlackApiFailure('channel_not_found');
    return conversation;
  }

  post(input: Omit<SimSlackMessage, 'ts' | 'edits' | 'textHistory'> & { ts?: string }): SimSlackMessage {
    const list = this.messagesByChannel.get(input.channel);
    if (!list) throw new SlackApiFailure('channel_not_found');
    let threadTs = input.threadTs;
    if (threadTs !== undefined) {
      const parent = list.find((m) => m.ts === threadTs && m.ephemeralTo === undefined);
      if (!parent) throw new SlackApiFailure('thread_not_found');
      // A reply's ts names the same thread as its parent's: Slack files the new reply under the parent.
      threadTs = parent.threadTs ?? parent.ts;
    }
    const message: SimSlackMessage = { ...input, ts: input.ts ?? this.nextTs(), edits: 0, textHistory: [input.text] };
    if (threadTs === undefined) delete message.threadTs;
    else message.threadTs = threadTs;
    list.push(message);
    this.emit('message', message);
    return message;
  }

  update(channel: string, ts: string, change: { text?: string; blocks?: unknown[] }): SimSlackMessage {
    const message = this.messagesByChannel.get(channel)?.find((m) => m.ts === ts && m.ephemeralTo === undefined);
    if (!message) throw new SlackApiFailure('message_not_found');
    if (change.text !== undefined) message.text = change.text;
    if (change.blocks !== undefined) message.blocks = change.blocks;
    message.edits += 1;
    message.textHistory.push(message.text);
    this.emit('message', message);
    return message;
  }

  find(channel: string, ts: string): SimSlackMessage | undefined {
    return this.messagesByChannel.get(channel)?.find((m) => m.ts === ts);
  }

  messages(channel?: string): SimSlackMessage[] {
    const lists = channel === undefined ? [...this.messagesByChannel.values()] : [this.messagesByChannel.get(channel) ?? []];
    return lists.flat().sort((a, b) => a.ts.localeCompare(b.ts));
  }
}
