/**
 * A local stand-in for the slice of Slack our bot talks to: the Web API at `<url>/api/<method>` (point
 * @slack/web-api or Bolt at it with `clientOptions.slackApiUrl: sim.apiUrl`), Socket Mode over a WebSocket,
 * and `response_url`s. It keeps what a customer would see (messages per channel and thread, edits,
 * ephemerals, modals) and can be made slow, rate limited, failing or unreachable. Events and interactions
 * towards the app are sent by the driver (`driver.ts`).
 */
import { randomUUID } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import { closeServer, FaultInjector, followMessages, listenOnLoopback, waitForMessage, type SimFault } from '../../simulator-kit.js';
import { SocketModeServer, type SocketDelivery, type SocketEnvelope } from './socket-mode.js';
import { connectionsOpen, createWebApi, TRIGGER_TTL_MS, type SimTrigger, type SimView, type WebApiState } from './web-api.js';
import {
  SlackApiFailure,
  SlackWorld,
  type SimConversation,
  type SimConversationKind,
  type SimSlackMessage,
  type SimSlackUser,
  type SimWorkspace,
} from './workspace.js';

export type { SimConversation, SimSlackMessage, SimSlackUser, SimWorkspace } from './workspace.js';
export type { SimView } from './web-api.js';
export type { SocketDelivery, SocketEnvelope } from './socket-mode.js';

/**
 * A fault applies to Web API calls (all, or only `method`) for `count` calls, or until setFault(null).
 * down: the connection is cut without an answer (fetch fails), as when Slack is unreachable.
 */
export type SlackSimFault = SimFault;

export interface SlackSimulatorOptions {
  port?: number;
  /** Workspaces with the app installed; one default workspace when omitted. */
  workspaces?: Partial<SimWorkspace>[];
  appId?: string;
  /** App-level token (`xapp-…`) accepted by apps.connections.open. */
  appToken?: string;
  /** The app's signing secret; the driver signs requests with it. */
  signingSecret?: string;
  /** OAuth client credentials checked by oauth.v2.access. */
  clientId?: string;
  clientSecret?: string;
}

export interface SimWebApiCall {
  method: string;
  teamId?: string;
  params: Record<string, unknown>;
  /** HTTP status answered (0 when the connection was cut). */
  status: number;
  /** Slack's `error` when the answer was `ok: false`. */
  error?: string;
  /** The fault applied, if any. */
  fault?: SlackSimFault['kind'];
  /** When the call arrived (ms since the epoch): shows that a retry waited for Retry-After. */
  at: number;
}

export interface SimResponseUrlPost { responseUrlId: string; body: Record<string, unknown> }

export interface MessageQuery {
  channel?: string;
  /** Only this thread (parent + replies); the parent's ts. */
  threadTs?: string;
  /** Ephemeral messages are left out unless asked for. */
  includeEphemeral?: boolean;
  teamId?: string;
}

export interface SlackSimulator {
  /** Base URL, e.g. http://127.0.0.1:4321 */
  url: string;
  /** What to pass as `slackApiUrl` (ends with `/`). */
  apiUrl: string;
  appId: string;
  appToken: string;
  signingSecret: string;
  clientId: string;
  clientSecret: string;
  /** The first workspace. */
  workspace: SimWorkspace;
  workspaces(): SimWorkspace[];
  addWorkspace(input?: Partial<SimWorkspace>): SimWorkspace;
  /** A person in a workspace (the first one by default). */
  addUser(input?: Partial<Omit<SimSlackUser, 'isBot'>>): SimSlackUser;
  /** A public (or private: kind 'group') channel; the bot is a member unless `withBot: false`. */
  addChannel(input: { name: string; members: string[]; teamId?: string; kind?: Exclude<SimConversationKind, 'im'>; withBot?: boolean }): SimConversation;
  /** The DM between a user and the bot. */
  openDm(userId: string): SimConversation;
  conversation(id: string): SimConversation | undefined;
  user(id: string): SimSlackUser | undefined;
  messages(query?: MessageQuery): SimSlackMessage[];
  /** Parent then replies, oldest first. */
  thread(channel: string, threadTs: string): SimSlackMessage[];
  message(channel: string, ts: string): SimSlackMessage | undefined;
  /** Calls `listener` for every message posted or edited from now on (the terminal chat shows them); returns unsubscribe. */
  subscribe(listener: (m: SimSlackMessage) => void): () => void;
  /**
   * A workspace admin approves the app in Slack's OAuth screen: installs it in a workspace (a new one unless
   * `teamId` names one) and returns the single-use `code` Slack puts on the redirect, for oauth.v2.access.
   */
  approveInstall(input?: { teamId?: string; teamName?: string; userId?: string; scopes?: string[] }): { code: string; workspace: SimWorkspace };
  /**
   * What the next visit to Slack's authorize page (`<url>/oauth/v2/authorize`, GET) does: approve into this
   * workspace (a new one by default), or `deny` (the admin clicks Cancel). One visit per call; later visits
   * approve into new workspaces.
   */
  nextAuthorize(choice: { teamId?: string; teamName?: string; deny?: boolean }): void;
  /** The app is removed from a workspace: its bot token stops working (`token_revoked`). Send app_uninstalled with the driver. */
  uninstall(teamId: string): void;
  /** Resolves with the first message (already there, or posted/edited later) matching; rejects after the timeout. */
  waitForMessage(predicate: (m: SimSlackMessage) => boolean, timeoutMs?: number): Promise<SimSlackMessage>;
  /** Records a message a person wrote (the driver then tells the app about it). */
  postAsUser(input: { user: string; channel: string; text: string; threadTs?: string }): SimSlackMessage;
  views(): SimView[];
  calls(): SimWebApiCall[];
  responseUrlPosts(): SimResponseUrlPost[];
  setFault(fault: SlackSimFault | null): void;
  /** A trigger_id for views.open, valid ~3 s and once, as Slack issues with interactions and commands. */
  issueTriggerId(teamId: string, userId: string): string;
  /** A response_url for a command or interaction in this channel (for block_actions, tied to the clicked message). */
  issueResponseUrl(input: { teamId: string; channel: string; userId: string; messageTs?: string }): string;
  socket: {
    connectionCount(): number;
    waitForConnection(timeoutMs?: number): Promise<void>;
    send(envelope: Omit<SocketEnvelope, 'envelope_id'> & { envelope_id?: string }, ackTimeoutMs: number): Promise<SocketDelivery>;
    receivedAcks(): { envelopeId: string; payload: unknown }[];
    requestReconnect(reason?: string): void;
    dropConnections(): void;
  };
  close(): Promise<void>;
}

interface ResponseUrlTarget { teamId: string; channel: string; userId: string; messageTs?: string; uses: number; expiresAt: number }

/** Slack allows a response_url five uses within 30 minutes. */
const RESPONSE_URL_USES = 5;
const RESPONSE_URL_TTL_MS = 30 * 60_000;

const DEFAULT_WORKSPACE: Partial<SimWorkspace> = {
  teamId: 'T0SIMTEAM1',
  teamName: 'Rouh Demo',
  domain: 'rouh-demo',
  botToken: 'xoxb-sim-bot-token',
  botUserId: 'U0SIMBOT01',
  botId: 'B0SIMBOT01',
};

export async function startSlackSimulator(opts: SlackSimulatorOptions = {}): Promise<SlackSimulator> {
  const appId = opts.appId ?? 'A0SIMAPP01';
  const appToken = opts.appToken ?? 'xapp-1-sim-app-token';
  const signingSecret = opts.signingSecret ?? 'sim-signing-secret';
  const clientId = opts.clientId ?? '1111111111.2222222222';
  const clientSecret = opts.clientSecret ?? 'sim-client-secret';
  const oauthCodes = new Map<string, { teamId: string; userId: string; scopes: string[]; expiresAt: number; redirectUri?: string }>();
  const authorizeChoices: { teamId?: string; teamName?: string; deny?: boolean }[] = [];
  const revokedTokens = new Set<string>();
  const world = new SlackWorld();
  world.setMaxListeners(0);
  for (const input of opts.workspaces ?? [DEFAULT_WORKSPACE]) world.addWorkspace(input);
  const socketServer = new SocketModeServer(appId);
  const views = new Map<string, SimView>();
  const triggers = new Map<string, SimTrigger>();
  const responseUrls = new Map<string, ResponseUrlTarget>();
  const responsePosts: SimResponseUrlPost[] = [];
  const calls: SimWebApiCall[] = [];
  const faults = new FaultInjector<SlackSimFault>();
  let baseUrl = '';

  const state: WebApiState = { world, appId, appToken, views, triggers, socketUrl: () => socketServer.issueUrl(baseUrl) };
  const methods = createWebApi(state);

  const app = express();
  app.disable('x-powered-by');

  app.post('/api/:method', express.urlencoded({ extended: false, limit: '1mb' }), express.json({ limit: '1mb' }), (req: Request<{ method: string }>, res: Response) => {
    const method = req.params.method;
    const params: Record<string, unknown> = typeof req.body === 'object' && req.body !== null ? { ...(req.body as Record<string, unknown>) } : {};
    const bearer = /^Bearer (.+)$/.exec(req.get('authorization') ?? '')?.[1];
    const token = bearer ?? (typeof params['token'] === 'string' ? params['token'] : undefined);
    delete params['token'];
    const call: SimWebApiCall = { method, params, status: 200, at: Date.now() };
    calls.push(call);

    const answer = (status: number, body: Record<string, unknown>, headers: Record<string, string> = {}): void => {
      call.status = status;
      if (body['ok'] === false && typeof body['error'] === 'string') call.error = body['error'];
      res.status(status).set(headers).json(body);
    };
    const run = (): void => {
      if (method === 'oauth.v2.access') {
        // Client credentials come as form fields or as Basic auth; no token is involved.
        const basic = /^Basic (.+)$/.exec(req.get('authorization') ?? '')?.[1];
        const [basicId, basicSecret] = basic ? Buffer.from(basic, 'base64').toString('utf8').split(':') : [];
        const givenId = typeof params['client_id'] === 'string' ? params['client_id'] : basicId;
        const givenSecret = typeof params['client_secret'] === 'string' ? params['client_secret'] : basicSecret;
        if (givenId !== clientId) return answer(200, { ok: false, error: 'invalid_client_id' });
        if (givenSecret !== clientSecret) return answer(200, { ok: false, error: 'bad_client_secret' });
        const code = typeof params['code'] === 'string' ? params['code'] : '';
        const grant = oauthCodes.get(code);
        oauthCodes.delete(code);
        if (!grant || grant.expiresAt < Date.now()) return answer(200, { ok: false, error: 'invalid_code' });
        // Slack insists on the same redirect_uri as on the authorize page when one was given there.
        if (grant.redirectUri !== undefined && params['redirect_uri'] !== grant.redirectUri) return answer(200, { ok: false, error: 'bad_redirect_uri' });
        const ws = world.workspace(grant.teamId);
        return answer(200, {
          ok: true,
          app_id: appId,
          authed_user: { id: grant.userId },
          scope: grant.scopes.join(','),
          token_type: 'bot',
          access_token: ws.botToken,
          bot_user_id: ws.botUserId,
          team: { id: ws.teamId, name: ws.teamName },
          enterprise: null,
          is_enterprise_install: false,
        });
      }
      if (method === 'apps.connections.open') {
        if (token === undefined) return answer(200, { ok: false, error: 'not_authed' });
        if (token !== appToken) return answer(200, { ok: false, error: token.startsWith('xoxb-') ? 'not_allowed_token_type' : 'invalid_auth' });
        return answer(200, connectionsOpen(state));
      }
      const handler = methods[method];
      if (!handler) return answer(200, { ok: false, error: 'unknown_method' });
      if (token === undefined) return answer(200, { ok: false, error: 'not_authed' });
      if (revokedTokens.has(token)) return answer(200, { ok: false, error: 'token_revoked' });
      const workspace = world.workspaceByBotToken(token);
      if (!workspace) return answer(200, { ok: false, error: token === appToken ? 'not_allowed_token_type' : 'invalid_auth' });
      call.teamId = workspace.teamId;
      try {
        answer(200, { ok: true, ...handler(params, workspace) }, { 'x-oauth-scopes': 'app_mentions:read,chat:write,commands,im:history,im:read,im:write,users:read' });
      } catch (error) {
        if (!(error instanceof SlackApiFailure)) throw error;
        answer(200, { ok: false, error: error.error, ...error.extra });
      }
    };

    const active = faults.take(method);
    if (active) call.fault = active.kind;
    faults.apply(active, res, {
      rateLimited: (seconds) => answer(429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(seconds) }),
      unavailableHtml: '<html><body>Slack is having trouble</body></html>',
      record: (status) => { call.status = status; },
      run,
    });
  });

  /**
   * Slack's OAuth authorize page (what an admin sees after our install link): with a known client_id and a
   * redirect_uri, it "approves" at once (or denies, per nextAuthorize) and redirects back with code and state.
   */
  app.get('/oauth/v2/authorize', (req: Request, res: Response) => {
    const q = req.query as Record<string, string | undefined>;
    if (q['client_id'] !== clientId) {
      res.status(400).type('text/plain').send('invalid_client_id');
      return;
    }
    const redirect = q['redirect_uri'];
    if (!redirect || !/^https?:\/\//.test(redirect)) {
      res.status(400).type('text/plain').send('bad_redirect_uri');
      return;
    }
    if (!q['scope']) {
      res.status(400).type('text/plain').send('invalid_scope');
      return;
    }
    const choice = authorizeChoices.shift() ?? {};
    const back = new URL(redirect);
    if (choice.deny) back.searchParams.set('error', 'access_denied');
    else {
      const approved = approveInstall({ ...(choice.teamId ? { teamId: choice.teamId } : {}), ...(choice.teamName ? { teamName: choice.teamName } : {}), scopes: q['scope'].split(',') });
      const grant = oauthCodes.get(approved.code);
      if (grant) grant.redirectUri = redirect;
      back.searchParams.set('code', approved.code);
    }
    if (q['state'] !== undefined) back.searchParams.set('state', q['state']);
    res.redirect(302, back.toString());
  });

  /** response_url: what Bolt's respond() posts to (JSON). */
  app.post('/response/:id', express.json({ limit: '1mb' }), (req: Request<{ id: string }>, res: Response) => {
    const target = responseUrls.get(req.params.id);
    if (!target || target.expiresAt < Date.now() || target.uses >= RESPONSE_URL_USES) {
      res.status(404).type('text/plain').send('expired_url');
      return;
    }
    target.uses += 1;
    const body = (typeof req.body === 'object' && req.body !== null ? req.body : {}) as Record<string, unknown>;
    responsePosts.push({ responseUrlId: req.params.id, body });
    const workspace = world.workspace(target.teamId);
    const text = typeof body['text'] === 'string' ? body['text'] : '';
    const blocks = Array.isArray(body['blocks']) ? (body['blocks'] as unknown[]) : undefined;
    try {
      if (body['delete_original'] === true && target.messageTs) {
        world.update(target.channel, target.messageTs, { text: '(deleted)', blocks: [] });
      } else if (body['replace_original'] === true && target.messageTs) {
        world.update(target.channel, target.messageTs, { text, ...(blocks ? { blocks } : {}) });
      } else {
        const threadTs = typeof body['thread_ts'] === 'string' ? body['thread_ts'] : undefined;
        world.post({
          channel: target.channel,
          teamId: target.teamId,
          user: workspace.botUserId,
          botId: workspace.botId,
          text,
          ...(blocks ? { blocks } : {}),
          ...(threadTs ? { threadTs } : {}),
          ...(body['response_type'] === 'in_channel' ? {} : { ephemeralTo: target.userId }),
        });
      }
    } catch (error) {
      if (!(error instanceof SlackApiFailure)) throw error;
      res.status(404).type('text/plain').send(error.error);
      return;
    }
    res.status(200).json({ ok: true });
  });

  app.use((_req: Request, res: Response) => {
    res.status(404).json({ ok: false, error: 'unknown_method' });
  });
  app.use((_error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    res.status(500).json({ ok: false, error: 'internal_error' });
  });

  const { server, port } = await listenOnLoopback(app, opts.port);
  server.on('upgrade', (req, socket, head: Buffer) => {
    if (!socketServer.handleUpgrade(req, socket, head)) socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
  });
  baseUrl = `http://127.0.0.1:${port}`;

  const firstWorkspace = [...world.workspaces.values()][0];
  if (!firstWorkspace) throw new Error('the Slack simulator needs at least one workspace');

  function approveInstall(input: { teamId?: string; teamName?: string; userId?: string; scopes?: string[] } = {}): { code: string; workspace: SimWorkspace } {
    const workspace = input.teamId ? world.workspace(input.teamId) : world.addWorkspace({ ...(input.teamName ? { teamName: input.teamName } : {}) });
    // A reinstall after an uninstall gets a fresh bot token (the old one stays revoked).
    if (revokedTokens.has(workspace.botToken)) workspace.botToken = `xoxb-sim-${workspace.teamId}-${randomUUID().slice(0, 8)}`;
    const installer = input.userId ?? world.addUser({ teamId: workspace.teamId, name: 'admin' }).id;
    const code = randomUUID();
    // Slack's codes are short-lived (10 minutes) and single use.
    oauthCodes.set(code, { teamId: workspace.teamId, userId: installer, scopes: input.scopes ?? ['app_mentions:read', 'chat:write', 'commands', 'im:history', 'im:write', 'users:read'], expiresAt: Date.now() + 10 * 60_000 });
    return { code, workspace };
  }

  function messages(query: MessageQuery = {}): SimSlackMessage[] {
    return world.messages(query.channel).filter((m) =>
      (query.includeEphemeral === true || m.ephemeralTo === undefined) &&
      (query.teamId === undefined || m.teamId === query.teamId) &&
      (query.threadTs === undefined || m.ts === query.threadTs || m.threadTs === query.threadTs),
    ).map(copyMessage);
  }

  return {
    url: baseUrl,
    apiUrl: `${baseUrl}/api/`,
    appId,
    appToken,
    signingSecret,
    clientId,
    clientSecret,
    workspace: firstWorkspace,
    workspaces: () => [...world.workspaces.values()],
    addWorkspace: (input) => world.addWorkspace(input),
    addUser: (input = {}) => world.addUser({ ...input, teamId: input.teamId ?? firstWorkspace.teamId }),
    addChannel(input) {
      const teamId = input.teamId ?? firstWorkspace.teamId;
      const members = input.withBot === false ? input.members : [...input.members, world.workspace(teamId).botUserId];
      return world.addConversation({ teamId, kind: input.kind ?? 'channel', name: input.name, members });
    },
    openDm(userId) {
      const user = world.user(userId);
      if (!user) throw new Error(`no simulated user ${userId}`);
      return world.openDm(user.teamId, userId);
    },
    conversation: (id) => world.conversation(id),
    user: (id) => world.user(id),
    messages,
    thread: (channel, threadTs) => messages({ channel, threadTs }),
    message(channel, ts) {
      const found = world.find(channel, ts);
      return found && copyMessage(found);
    },
    subscribe: (listener) => followMessages(world, listener),
    approveInstall,
    nextAuthorize(choice) {
      authorizeChoices.push(choice);
    },
    uninstall(teamId) {
      revokedTokens.add(world.workspace(teamId).botToken);
    },
    waitForMessage: (predicate, timeoutMs = 5000) => waitForMessage(world, world.messages(), predicate, timeoutMs, `no matching Slack message within ${timeoutMs} ms`),
    postAsUser(input) {
      const user = world.user(input.user);
      if (!user) throw new Error(`no simulated user ${input.user}`);
      const conversation = world.resolveChannel(user.teamId, input.channel);
      if (!conversation.members.includes(user.id)) conversation.members.push(user.id);
      return copyMessage(world.post({ channel: conversation.id, teamId: user.teamId, user: user.id, text: input.text, ...(input.threadTs ? { threadTs: input.threadTs } : {}) }));
    },
    views: () => [...views.values()].map((v) => structuredClone(v)),
    calls: () => calls.map((c) => ({ ...c })),
    responseUrlPosts: () => responsePosts.map((p) => structuredClone(p)),
    setFault: (next) => faults.set(next),
    issueTriggerId(teamId, userId) {
      const id = `${Date.now()}.${world.newId('').slice(1)}.${randomUUID().replaceAll('-', '').slice(0, 16)}`;
      triggers.set(id, { teamId, userId, expiresAt: Date.now() + TRIGGER_TTL_MS, used: false });
      return id;
    },
    issueResponseUrl(input) {
      const id = randomUUID();
      responseUrls.set(id, { ...input, uses: 0, expiresAt: Date.now() + RESPONSE_URL_TTL_MS });
      return `${baseUrl}/response/${id}`;
    },
    socket: {
      connectionCount: () => socketServer.connectionCount(),
      waitForConnection: (timeoutMs) => socketServer.waitForConnection(timeoutMs),
      send: (envelope, ackTimeoutMs) => socketServer.send(envelope, ackTimeoutMs),
      receivedAcks: () => socketServer.receivedAcks(),
      requestReconnect: (reason) => socketServer.requestReconnect(reason),
      dropConnections: () => socketServer.dropConnections(),
    },
    async close() {
      faults.clear();
      await socketServer.close();
      await closeServer(server);
    },
  };
}

function copyMessage(message: SimSlackMessage): SimSlackMessage {
  return structuredClone(message);
}
