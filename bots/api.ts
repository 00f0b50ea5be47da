/**
 * Chat connections and bindings for a space (API key auth, like the rest of the API):
 *   GET    /chat/connections                       the space's Slack workspaces and Telegram chats
 *   POST   /chat/connections/slack                 {teamId, label?, botToken?}: joins a workspace (token write-only)
 *   POST   /chat/connections/telegram/link         → {code, link, expiresAt}: the chat that sends /start <code> joins
 *   DELETE /chat/connections/:id
 *   GET    /chat/bindings                          which provider each channel/chat orders from
 *   PUT    /chat/bindings                          {platform, workspace, channel, providerId}
 *   DELETE /chat/bindings/:id
 */
import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import { plainText } from '../src/api/text.js';
import { errors, isoDate, jsonBody, ok, op, spaceHeader } from '../src/api/openapi.js';
import { fromZod } from '../src/engine/errors.js';
import { RequestError } from '../src/engine/errors.js';
import { Provider } from '../src/storage/models.js';
import { bindingId, connect, connectionSpace, forgetBindings, forgetConnection, newLinkCode } from './connections.js';
import { ChatBinding, ChatConnection, ChatSecret } from './storage/models.js';

const SlackConnectionBody = z.object({
  teamId: z.string().regex(/^[TE][A-Z0-9]{2,20}$/, 'must be a Slack team id such as T0123ABCD'),
  label: plainText(100, { allowEmpty: true }).optional(),
  botToken: z.string().regex(/^xoxb-[\w-]{8,}$/, 'must be a bot token (xoxb-…)').optional(),
});
/** Connections made by a link the chat's side opens (Slack OAuth install). */
const NewConnectionBody = z.object({
  platform: z.literal('slack'),
  mode: z.literal('oauth').meta({ description: 'An install link: the Slack workspace that installs the app through it joins this space' }),
});
const BindingBody = z.object({
  platform: z.enum(['slack', 'telegram']),
  workspace: z.string().min(1).max(64),
  channel: z.string().min(1).max(64),
  providerId: z.string().regex(/^[0-9a-f]{24}$/i, 'must be a provider id'),
});

const Connection = z.object({
  id: z.string().meta({ example: 'slack:T0123ABCD' }), platform: z.enum(['slack', 'telegram']), workspace: z.string(),
  channel: z.string().nullable(), label: z.string().nullable(), createdAt: isoDate.nullable(),
  status: z.enum(['active', 'uninstalled']).meta({ description: '`uninstalled` once the Slack app was removed from the workspace (or its bot token revoked)' }),
  uninstalledAt: isoDate.nullable(),
}).meta({ id: 'ChatConnection' });
const Binding = BindingBody.extend({ id: z.string() }).meta({ id: 'ChatBinding' });
const spaceOnly = { header: z.object({ 'x-space-id': spaceHeader }) };
const idParam = (what: string) => ({ ...spaceOnly, path: z.object({ id: z.string().meta({ description: `${what} id` }) }) });
const deleted = { '204': { description: 'Deleted' } };

/** The routes below as OpenAPI path items, from the same schemas they validate with (merged into /openapi.json). */
export const chatApiPaths: ZodOpenApiPathsObject = {
  '/chat/connections': {
    get: op('Chat', 'The space\'s Slack workspaces and Telegram chats', { requestParams: spaceOnly, responses: { ...ok(z.object({ connections: z.array(Connection) })), ...errors(401, 403) } }),
    post: op('Chat', 'A one-time Slack install link (OAuth): the workspace that installs the app through it joins this space', {
      requestParams: spaceOnly,
      requestBody: jsonBody(NewConnectionBody, { platform: 'slack', mode: 'oauth' }),
      responses: {
        ...ok(z.object({ installUrl: z.string().meta({ example: 'https://rouh.example.com/slack/install?code=Xb3…' }), expiresAt: isoDate }), 'Issued', '201'),
        ...errors(400, 401, 403, 409, 413, 415),
      },
    }),
  },
  '/chat/connections/slack': {
    post: op('Chat', 'Connect a Slack workspace (the bot token is write-only)', {
      requestParams: spaceOnly,
      requestBody: jsonBody(SlackConnectionBody, { teamId: 'T0123ABCD', label: 'Café team' }),
      responses: { ...ok(z.object({ connection: Connection }), 'Already connected to this space'), ...ok(z.object({ connection: Connection }), 'Connected', '201'), ...errors(400, 401, 403, 409, 413, 415) },
    }),
  },
  '/chat/connections/telegram/link': {
    post: op('Chat', 'A one-time code: the Telegram chat that sends `/start <code>` joins the space', {
      requestParams: spaceOnly,
      responses: {
        ...ok(z.object({ code: z.string(), expiresAt: isoDate, link: z.string().nullable().meta({ description: 't.me deep link once the bot is known' }), command: z.string() }), 'Issued', '201'),
        ...errors(400, 401, 403, 413, 415),
      },
    }),
  },
  '/chat/connections/{id}': {
    delete: op('Chat', 'Disconnect a workspace or chat', { requestParams: idParam('Connection'), responses: { ...deleted, ...errors(401, 403, 404) } }),
  },
  '/chat/bindings': {
    get: op('Chat', 'Which provider each channel or chat orders from', { requestParams: spaceOnly, responses: { ...ok(z.object({ bindings: z.array(Binding) })), ...errors(401, 403) } }),
    put: op('Chat', 'Bind a connected channel or chat to a provider', {
      requestParams: spaceOnly,
      requestBody: jsonBody(BindingBody),
      responses: { ...ok(z.object({ binding: Binding })), ...errors(400, 401, 403, 404, 409, 413, 415) },
    }),
  },
  '/chat/bindings/{id}': {
    delete: op('Chat', 'Remove a binding', { requestParams: idParam('Binding'), responses: { ...deleted, ...errors(401, 403, 404) } }),
  },
};

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(body ?? {});
  if (!r.success) throw fromZod(r.error);
  return r.data;
}

const serializeConnection = (c: { _id: string; platform: string; workspace: string; channel?: string | null; label?: string | null; createdAt?: Date; status?: string | null; uninstalledAt?: Date | null }) =>
  ({ id: c._id, platform: c.platform, workspace: c.workspace, channel: c.channel ?? null, label: c.label ?? null, createdAt: c.createdAt ?? null, status: c.status ?? 'active', uninstalledAt: c.uninstalledAt ?? null });

/** `guards`: the API's own (auth with its failed-attempt limiter, 415, JSON parsing and shape checks). */
export function chatApiRouter(deps: {
  guards: RequestHandler[]; now: () => Date; telegramUsername: () => string | null;
  /** The Slack install link for a one-time code; null when OAuth installs are not configured. */
  slackInstallUrl: ((code: string) => string) | null;
}): Router {
  const router = Router();
  router.use('/chat', ...deps.guards);

  router.get('/chat/connections', async (req, res) => {
    const list = await ChatConnection.find({ spaceId: req.spaceId }).sort({ createdAt: 1 }).lean();
    res.json({ connections: list.map(serializeConnection) });
  });

  router.post('/chat/connections', async (req, res) => {
    parse(NewConnectionBody, req.body);
    const installUrl = deps.slackInstallUrl;
    if (!installUrl) throw new RequestError(409, 'oauth_not_configured', 'Slack OAuth installs need SLACK_CLIENT_ID and SLACK_CLIENT_SECRET', 'mode');
    const { code, expiresAt } = await newLinkCode(req.spaceId!, 'slack', deps.now());
    res.status(201).json({ installUrl: installUrl(code), expiresAt });
  });

  router.post('/chat/connections/slack', async (req, res) => {
    const body = parse(SlackConnectionBody, req.body);
    const joined = await connect(req.spaceId!, { platform: 'slack', workspace: body.teamId, channel: '' }, body.label ?? null);
    if (!joined.ok) throw new RequestError(409, 'already_connected', 'this Slack workspace is connected to another space');
    if (body.botToken) await ChatSecret.updateOne({ _id: joined.id }, { $set: { values: { botToken: body.botToken } } }, { upsert: true });
    const c = await ChatConnection.findById(joined.id).lean();
    res.status(joined.existing ? 200 : 201).json({ connection: serializeConnection(c!) });
  });

  router.post('/chat/connections/telegram/link', async (req, res) => {
    const { code, expiresAt } = await newLinkCode(req.spaceId!, 'telegram', deps.now());
    const username = deps.telegramUsername();
    res.status(201).json({ code, expiresAt, link: username ? `https://t.me/${username}?start=${code}` : null, command: `/start ${code}` });
  });

  router.delete('/chat/connections/:id', async (req, res) => {
    const { deletedCount } = await ChatConnection.deleteOne({ _id: req.params.id, spaceId: req.spaceId });
    if (!deletedCount) throw new RequestError(404, 'not_found', 'connection not found');
    await ChatSecret.deleteOne({ _id: req.params.id });
    forgetConnection(req.params.id);
    res.status(204).end();
  });

  router.get('/chat/bindings', async (req, res) => {
    const list = await ChatBinding.find({ spaceId: req.spaceId }).lean();
    res.json({ bindings: list.map((b) => ({ id: b._id, platform: b.platform, workspace: b.workspace, channel: b.channel, providerId: String(b.providerId) })) });
  });

  router.put('/chat/bindings', async (req, res) => {
    const body = parse(BindingBody, req.body);
    if (!(await Provider.exists({ _id: body.providerId, spaceId: req.spaceId }))) throw new RequestError(404, 'not_found', 'provider not found', 'providerId');
    if ((await connectionSpace(body)) !== req.spaceId) throw new RequestError(409, 'not_connected', 'that chat is not connected to this space', 'workspace');
    const id = bindingId(body);
    const existing = await ChatBinding.findById(id, { spaceId: 1 }).lean();
    if (existing && String(existing.spaceId) !== req.spaceId) throw new RequestError(409, 'bound_elsewhere', 'this channel is bound in another space');
    await ChatBinding.updateOne({ _id: id }, { $set: { spaceId: req.spaceId, platform: body.platform, workspace: body.workspace, channel: body.channel, providerId: body.providerId } }, { upsert: true });
    forgetBindings(req.spaceId);
    res.json({ binding: { id, ...body } });
  });

  router.delete('/chat/bindings/:id', async (req, res) => {
    const { deletedCount } = await ChatBinding.deleteOne({ _id: req.params.id, spaceId: req.spaceId });
    forgetBindings(String(req.spaceId));
    if (!deletedCount) throw new RequestError(404, 'not_found', 'binding not found');
    res.status(204).end();
  });

  return router;
}
