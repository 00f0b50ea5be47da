/**
 * Plays Slack's side towards the app: a person writes, mentions the bot, runs a slash command, clicks a
 * button or submits a modal, and the driver records it in the simulator and delivers the event or
 * interaction the way Slack does — over HTTP (signed `v0`, JSON events, form-encoded commands and
 * `payload=` interactions, retry headers) or over Socket Mode (envelopes the app must ack).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { signSlackRequest } from './signing.js';
import type { SimSlackMessage, SimWorkspace, SlackSimulator } from './simulator.js';
import type { EnvelopeType, SocketDelivery } from './socket-mode.js';

/** Legacy verification token Slack still puts in payloads (Bolt ignores it). */
const VERIFICATION_TOKEN = 'sim-verification-token';

export type SlackTransport =
  | {
      kind: 'http';
      /** The app's Request URL, e.g. http://127.0.0.1:3000/slack/events (events, commands and interactions). */
      url: string;
      /** Defaults to the simulator's signing secret. */
      signingSecret?: string;
      /** Slack gives up on an answer after 3 s. */
      timeoutMs?: number;
      /**
       * Redeliver an event that got no 2xx in time, as Slack does (up to 3 times: at once, ~1 min, ~5 min),
       * after these delays (tests shorten them). Only Events API payloads are retried.
       */
      retryDelaysMs?: number[];
    }
  | {
      kind: 'socket';
      /** How long to wait for an ack before calling the envelope unacked. */
      ackTimeoutMs?: number;
      /** Slack sends an unacked events_api envelope again (a new envelope, the same event): how many times. */
      redeliverUnacked?: number;
    };

/** Event subscriptions of the app (manifest `event_subscriptions.bot_events`): decides which events a message produces. */
export type BotEvent = 'message.im' | 'message.channels' | 'message.groups' | 'app_mention' | 'app_home_opened';

export interface SlackDriverOptions {
  subscriptions?: BotEvent[];
  /** Seconds since the epoch for X-Slack-Request-Timestamp (tests of stale requests move it). */
  clock?: () => number;
}

export interface HttpOverrides {
  /** Sign with another secret (a forgery). */
  signingSecret?: string;
  /** Request timestamp in seconds (a stale or replayed request). */
  timestamp?: number;
  /** Send this X-Slack-Signature as is. */
  signature?: string;
  contentType?: string;
}

export interface SlackDelivery {
  kind: EnvelopeType | 'url_verification';
  /** The payload as Slack sent it (event_callback body, command fields, or interaction payload). */
  payload: Record<string, unknown>;
  eventId?: string;
  retryNum: number;
  /** 2xx over HTTP, acked over Socket Mode. */
  ok: boolean;
  /** HTTP: the app's status, or null when it did not answer in time / the connection failed. */
  status?: number | null;
  /** HTTP: the app's response body; Socket Mode: the ack payload, JSON-encoded. */
  responseBody?: string;
  responseHeaders?: Record<string, string>;
  /** What was on the wire (HTTP): the raw body and the headers we sent, for replay tests. */
  rawBody?: string;
  requestHeaders?: Record<string, string>;
  /** HTTP with retryDelaysMs: the redeliveries that followed this failed delivery, in order. */
  retries?: SlackDelivery[];
  /** Socket Mode only. */
  envelopeId?: string;
  /** Socket Mode: envelopes sent before this one for the same payload because they went unacked. */
  unackedEnvelopeIds?: string[];
  acked?: boolean;
  ackPayload?: unknown;
}

export interface ButtonClick {
  user: string;
  channel: string;
  /** ts of the message holding the button. */
  messageTs: string;
  actionId: string;
  /** When several buttons share an action_id, the one with this value. */
  value?: string;
}

export interface SlackDriver {
  /** A person writes in a channel or DM (optionally in a thread); the app gets the event its subscriptions call for. */
  sendMessage(input: { user: string; channel: string; text: string; threadTs?: string }, overrides?: HttpOverrides): Promise<{ message: SimSlackMessage; deliveries: SlackDelivery[] }>;
  /** Slack's Request URL check. */
  urlVerification(overrides?: HttpOverrides): Promise<SlackDelivery & { challenge: string }>;
  slashCommand(input: { user: string; channel: string; command: string; text: string }, overrides?: HttpOverrides): Promise<SlackDelivery>;
  clickButton(input: ButtonClick, overrides?: HttpOverrides): Promise<SlackDelivery>;
  /** Submits a modal the app opened; `values` maps each input's action_id to the typed text. */
  submitView(input: { user: string; viewId: string; values: Record<string, string> }, overrides?: HttpOverrides): Promise<SlackDelivery>;
  /** Any event_callback event, e.g. app_home_opened. */
  sendEvent(teamId: string, event: Record<string, unknown>, overrides?: HttpOverrides): Promise<SlackDelivery>;
  /**
   * Delivers a payload again as Slack's retry does: HTTP with X-Slack-Retry-Num/Reason and a fresh signature;
   * Socket Mode as a new envelope with retry_attempt (bolt-js#2487: Slack has been seen to send 0).
   */
  redeliver(delivery: SlackDelivery, opts?: { reason?: string; retryAttempt?: number }): Promise<SlackDelivery>;
  /** The next event_id to use (Ev…), for tests that craft events. */
  newEventId(): string;
}

interface Target { teamId: string; workspace: SimWorkspace }

export function createSlackDriver(sim: SlackSimulator, transport: SlackTransport, options: SlackDriverOptions = {}): SlackDriver {
  const subscriptions = new Set<BotEvent>(options.subscriptions ?? ['message.im', 'app_mention']);
  const clock = options.clock ?? ((): number => Math.floor(Date.now() / 1000));

  function target(userId: string): Target & { userName: string } {
    const user = sim.user(userId);
    if (!user) throw new Error(`no simulated user ${userId}`);
    const workspace = sim.workspaces().find((w) => w.teamId === user.teamId);
    if (!workspace) throw new Error(`no workspace for ${userId}`);
    return { teamId: user.teamId, workspace, userName: user.name };
  }

  function newEventId(): string {
    return `Ev${randomBytes(6).toString('hex').toUpperCase()}`;
  }

  function eventCallback(workspace: SimWorkspace, event: Record<string, unknown>, eventId = newEventId()): Record<string, unknown> {
    return {
      token: VERIFICATION_TOKEN,
      team_id: workspace.teamId,
      context_team_id: workspace.teamId,
      context_enterprise_id: null,
      api_app_id: sim.appId,
      event,
      type: 'event_callback',
      event_id: eventId,
      event_time: clock(),
      authorizations: [{ enterprise_id: null, team_id: workspace.teamId, user_id: workspace.botUserId, is_bot: true, is_enterprise_install: false }],
      is_ext_shared_channel: false,
      event_context: `4-${Buffer.from(`${workspace.teamId}:${eventId}`).toString('base64url')}`,
    };
  }

  async function overHttp(kind: SlackDelivery['kind'], payload: Record<string, unknown>, retryNum: number, retryReason: string | undefined, overrides: HttpOverrides = {}): Promise<SlackDelivery> {
    if (transport.kind !== 'http') throw new Error('overHttp on a socket transport');
    const isForm = kind === 'slash_commands' || kind === 'interactive';
    const rawBody = kind === 'slash_commands'
      ? new URLSearchParams(payload as Record<string, string>).toString()
      : kind === 'interactive'
        ? new URLSearchParams({ payload: JSON.stringify(payload) }).toString()
        : JSON.stringify(payload);
    const timestamp = overrides.timestamp ?? clock();
    const headers: Record<string, string> = {
      'content-type': overrides.contentType ?? (isForm ? 'application/x-www-form-urlencoded' : 'application/json'),
      'user-agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': overrides.signature ?? signSlackRequest(overrides.signingSecret ?? transport.signingSecret ?? sim.signingSecret, timestamp, rawBody),
      ...(retryNum > 0 ? { 'x-slack-retry-num': String(retryNum), 'x-slack-retry-reason': retryReason ?? 'http_error' } : {}),
    };
    const eventId = typeof payload['event_id'] === 'string' ? payload['event_id'] : undefined;
    const base = { kind, payload, retryNum, rawBody, requestHeaders: headers, ...(eventId ? { eventId } : {}) };
    try {
      const response = await fetch(transport.url, { method: 'POST', headers, body: rawBody, signal: AbortSignal.timeout(transport.timeoutMs ?? 3000) });
      const responseBody = await response.text();
      return { ...base, ok: response.ok, status: response.status, responseBody, responseHeaders: Object.fromEntries(response.headers) };
    } catch {
      return { ...base, ok: false, status: null };
    }
  }

  async function overSocket(kind: EnvelopeType, payload: Record<string, unknown>, retryAttempt: number | undefined, retryReason: string | undefined): Promise<SlackDelivery> {
    if (transport.kind !== 'socket') throw new Error('overSocket on an http transport');
    const send = (attempt: number | undefined, reason: string | undefined): Promise<SocketDelivery> => sim.socket.send({
      type: kind,
      payload,
      accepts_response_payload: kind !== 'events_api',
      ...(kind === 'events_api' ? { retry_attempt: attempt ?? 0, retry_reason: reason ?? '' } : {}),
    }, transport.ackTimeoutMs ?? 3000);
    let result = await send(retryAttempt, retryReason);
    const unackedEnvelopeIds: string[] = [];
    let attempt = retryAttempt ?? 0;
    while (!result.acked && kind === 'events_api' && unackedEnvelopeIds.length < (transport.redeliverUnacked ?? 0)) {
      unackedEnvelopeIds.push(result.envelope.envelope_id);
      attempt += 1;
      result = await send(attempt, 'timeout');
    }
    const eventId = typeof payload['event_id'] === 'string' ? payload['event_id'] : undefined;
    return {
      kind,
      payload,
      retryNum: attempt,
      ok: result.acked,
      envelopeId: result.envelope.envelope_id,
      ...(unackedEnvelopeIds.length > 0 ? { unackedEnvelopeIds } : {}),
      acked: result.acked,
      ...(result.acked ? { ackPayload: result.ackPayload, responseBody: JSON.stringify(result.ackPayload ?? {}) } : {}),
      ...(eventId ? { eventId } : {}),
    };
  }

  async function deliver(kind: EnvelopeType, payload: Record<string, unknown>, overrides?: HttpOverrides): Promise<SlackDelivery> {
    if (transport.kind !== 'http') return overSocket(kind, payload, undefined, undefined);
    const first = await overHttp(kind, payload, 0, undefined, overrides);
    if (first.ok || kind !== 'events_api' || !transport.retryDelaysMs?.length) return first;
    const retries: SlackDelivery[] = [];
    for (const [index, delay] of transport.retryDelaysMs.slice(0, 3).entries()) {
      await new Promise((resolve) => setTimeout(resolve, delay));
      const previous = retries.at(-1) ?? first;
      const retry = await overHttp(kind, payload, index + 1, previous.status === null ? 'http_timeout' : 'http_error', overrides);
      retries.push(retry);
      if (retry.ok) break;
    }
    return { ...first, retries };
  }

  function userJson(userId: string, teamId: string, userName: string): Record<string, unknown> {
    return { id: userId, username: userName, name: userName, team_id: teamId };
  }

  /** Which events a person's message produces, given the app's subscriptions (Slack sends each separately). */
  function eventsFor(message: SimSlackMessage, botUserId: string): Record<string, unknown>[] {
    const conversation = sim.conversation(message.channel);
    const channelType = conversation?.kind === 'im' ? 'im' : conversation?.kind === 'group' ? 'group' : 'channel';
    const parent = message.threadTs ? sim.message(message.channel, message.threadTs) : undefined;
    const common = {
      client_msg_id: randomUUID(),
      text: message.text,
      user: message.user,
      ts: message.ts,
      blocks: [{ type: 'rich_text', block_id: randomBytes(3).toString('base64url'), elements: [{ type: 'rich_text_section', elements: [{ type: 'text', text: message.text }] }] }],
      team: message.teamId,
      channel: message.channel,
      event_ts: message.ts,
      ...(message.threadTs ? { thread_ts: message.threadTs, parent_user_id: parent?.user } : {}),
    };
    const events: Record<string, unknown>[] = [];
    const mentioned = message.text.includes(`<@${botUserId}>`);
    if (mentioned && channelType !== 'im' && subscriptions.has('app_mention')) events.push({ type: 'app_mention', ...common });
    const messageSubscription: BotEvent = channelType === 'im' ? 'message.im' : channelType === 'group' ? 'message.groups' : 'message.channels';
    if (subscriptions.has(messageSubscription)) events.push({ type: 'message', ...common, channel_type: channelType });
    return events;
  }

  function findButton(blocks: unknown[] | undefined, actionId: string, value?: string): { blockId: string; button: Record<string, unknown> } | undefined {
    for (const block of blocks ?? []) {
      if (typeof block !== 'object' || block === null) continue;
      const { block_id: blockId, elements, accessory } = block as { block_id?: string; elements?: unknown[]; accessory?: unknown };
      for (const element of [...(Array.isArray(elements) ? elements : []), accessory]) {
        if (typeof element !== 'object' || element === null) continue;
        const candidate = element as Record<string, unknown>;
        if (candidate['type'] === 'button' && candidate['action_id'] === actionId && (value === undefined || candidate['value'] === value)) {
          return { blockId: blockId ?? randomBytes(3).toString('base64url'), button: candidate };
        }
      }
    }
    return undefined;
  }

  return {
    newEventId,

    async sendMessage(input, overrides) {
      const { workspace } = target(input.user);
      const message = sim.postAsUser(input);
      const deliveries: SlackDelivery[] = [];
      for (const event of eventsFor(message, workspace.botUserId)) {
        deliveries.push(await deliver('events_api', eventCallback(workspace, event), overrides));
      }
      return { message, deliveries };
    },

    async urlVerification(overrides) {
      const challenge = randomBytes(16).toString('hex');
      const payload = { token: VERIFICATION_TOKEN, challenge, type: 'url_verification' };
      if (transport.kind !== 'http') throw new Error('url_verification is an HTTP-only request');
      return { ...(await overHttp('url_verification', payload, 0, undefined, overrides)), challenge };
    },

    async slashCommand(input, overrides) {
      const { teamId, workspace, userName } = target(input.user);
      const conversation = sim.conversation(input.channel);
      const payload: Record<string, string> = {
        token: VERIFICATION_TOKEN,
        team_id: teamId,
        team_domain: workspace.domain,
        channel_id: input.channel,
        channel_name: conversation?.kind === 'im' ? 'directmessage' : (conversation?.name ?? 'unknown'),
        user_id: input.user,
        user_name: userName,
        command: input.command,
        text: input.text,
        api_app_id: sim.appId,
        is_enterprise_install: 'false',
        response_url: sim.issueResponseUrl({ teamId, channel: input.channel, userId: input.user }),
        trigger_id: sim.issueTriggerId(teamId, input.user),
      };
      return deliver('slash_commands', payload, overrides);
    },

    async clickButton(input, overrides) {
      const { teamId, workspace, userName } = target(input.user);
      const message = sim.message(input.channel, input.messageTs);
      if (!message) throw new Error(`no message ${input.messageTs} in ${input.channel}`);
      const found = findButton(message.blocks, input.actionId, input.value);
      if (!found) throw new Error(`message ${input.messageTs} has no button ${input.actionId}${input.value ? `=${input.value}` : ''}`);
      const conversation = sim.conversation(input.channel);
      const isEphemeral = message.ephemeralTo !== undefined;
      const payload: Record<string, unknown> = {
        type: 'block_actions',
        user: userJson(input.user, teamId, userName),
        api_app_id: sim.appId,
        token: VERIFICATION_TOKEN,
        container: {
          type: 'message',
          message_ts: message.ts,
          channel_id: message.channel,
          is_ephemeral: isEphemeral,
          ...(message.threadTs ? { thread_ts: message.threadTs } : {}),
        },
        trigger_id: sim.issueTriggerId(teamId, input.user),
        team: { id: teamId, domain: workspace.domain },
        enterprise: null,
        is_enterprise_install: false,
        channel: { id: message.channel, name: conversation?.kind === 'im' ? 'directmessage' : (conversation?.name ?? '') },
        // Slack leaves the message out of clicks on ephemeral messages.
        ...(isEphemeral ? {} : {
          message: {
            type: 'message',
            user: message.user,
            ...(message.botId ? { bot_id: message.botId, app_id: sim.appId } : {}),
            text: message.text,
            ts: message.ts,
            team: teamId,
            blocks: message.blocks ?? [],
            ...(message.threadTs ? { thread_ts: message.threadTs } : {}),
          },
        }),
        state: { values: {} },
        response_url: sim.issueResponseUrl({ teamId, channel: message.channel, userId: input.user, messageTs: message.ts }),
        actions: [{
          action_id: input.actionId,
          block_id: found.blockId,
          text: found.button['text'],
          ...(found.button['value'] !== undefined ? { value: found.button['value'] } : {}),
          ...(found.button['style'] !== undefined ? { style: found.button['style'] } : {}),
          type: 'button',
          action_ts: `${(Date.now() / 1000).toFixed(6)}`,
        }],
      };
      return deliver('interactive', payload, overrides);
    },

    async submitView(input, overrides) {
      const { teamId, workspace, userName } = target(input.user);
      const stored = sim.views().find((v) => v.id === input.viewId);
      if (!stored) throw new Error(`no view ${input.viewId}`);
      const values: Record<string, Record<string, unknown>> = {};
      const blocks = Array.isArray(stored.view['blocks']) ? (stored.view['blocks'] as Record<string, unknown>[]) : [];
      for (const block of blocks) {
        const element = block['element'] as Record<string, unknown> | undefined;
        if (block['type'] !== 'input' || !element || typeof element['action_id'] !== 'string') continue;
        const typed = input.values[element['action_id']];
        const blockId = typeof block['block_id'] === 'string' ? block['block_id'] : randomBytes(3).toString('base64url');
        values[blockId] = { [element['action_id']]: { type: element['type'], value: typed ?? null } };
      }
      const missing = Object.keys(input.values).filter((actionId) => !Object.values(values).some((v) => actionId in v));
      if (missing.length > 0) throw new Error(`view ${input.viewId} has no input ${missing.join(', ')}`);
      const payload: Record<string, unknown> = {
        type: 'view_submission',
        team: { id: teamId, domain: workspace.domain },
        user: userJson(input.user, teamId, userName),
        api_app_id: sim.appId,
        token: VERIFICATION_TOKEN,
        trigger_id: sim.issueTriggerId(teamId, input.user),
        view: {
          id: stored.id,
          team_id: teamId,
          app_id: sim.appId,
          bot_id: workspace.botId,
          hash: stored.hash,
          root_view_id: stored.id,
          previous_view_id: null,
          private_metadata: '',
          callback_id: '',
          external_id: stored.externalId ?? '',
          ...stored.view,
          state: { values },
        },
        response_urls: [],
        is_enterprise_install: false,
        enterprise: null,
      };
      return deliver('interactive', payload, overrides);
    },

    async sendEvent(teamId, event, overrides) {
      const workspace = sim.workspaces().find((w) => w.teamId === teamId);
      if (!workspace) throw new Error(`no workspace ${teamId}`);
      return deliver('events_api', eventCallback(workspace, event), overrides);
    },

    async redeliver(delivery, opts = {}) {
      const retryNum = opts.retryAttempt ?? delivery.retryNum + 1;
      if (delivery.kind === 'url_verification') throw new Error('Slack does not retry url_verification');
      if (transport.kind === 'http') {
        const reason = opts.reason ?? (delivery.status === null ? 'http_timeout' : 'http_error');
        return overHttp(delivery.kind, delivery.payload, retryNum, reason, {});
      }
      return overSocket(delivery.kind, delivery.payload, retryNum, opts.reason ?? 'timeout');
    },
  };
}
