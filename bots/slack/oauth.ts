/**
 * Slack OAuth installs for many workspaces, each bound to a space. The space asks the API for an install
 * link (`POST /chat/connections {platform:"slack", mode:"oauth"}`): a one-time code at
 * `GET /slack/install?code=…`. That page hands over to @slack/oauth's InstallProvider with the code as the
 * install's metadata, so the code travels inside the signed, 10-minute `state` (and the state cookie binds it
 * to the admin's browser). On `GET /slack/oauth_redirect` the InstallProvider checks cookie and state, calls
 * `oauth.v2.access`, then we redeem the code (once), connect the workspace to the code's space, and the
 * installation (bot token) is kept in MongoDB (./installations.ts), where Bolt's authorize finds it.
 */
import oauth, { type CodedError, type Installation, type InstallURLOptions } from '@slack/oauth';
import express, { type Request, type Response, type Router } from 'express';
import type { Logger as PinoLogger } from 'pino';
import { z } from 'zod';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import { ErrorBody, noAuth, op } from '../../src/api/openapi.js';
import { connect, peekLinkCode, redeemLinkCode } from '../connections.js';
import { markSlackInstalled, mongoInstallationStore, UnsupportedInstallError } from './installations.js';

// CommonJS package: named imports of its values are not reliable from ESM.
const { ErrorCode, InstallProvider } = oauth;

/** What the bot asks for at install: bots/slack/manifest.yml's bot scopes. */
export const SLACK_BOT_SCOPES = [
  'app_mentions:read', 'chat:write', 'commands', 'im:history', 'im:read', 'im:write',
  'channels:history', 'groups:history', 'users:read', 'channels:read', 'groups:read',
];
export const SLACK_INSTALL_PATH = '/slack/install';
export const SLACK_REDIRECT_PATH = '/slack/oauth_redirect';

export interface SlackOAuthOptions {
  clientId: string;
  clientSecret: string;
  /** Signs the `state` (SLACK_STATE_SECRET, else one generated per data folder). */
  stateSecret: string;
  /** This service's public URL: the redirect URL registered with the Slack app is `<it>/slack/oauth_redirect`. */
  publicBaseUrl: string;
  /** Web API base (the simulator in tests); Slack's authorize page is on the same host at /oauth/v2/authorize. */
  apiUrl?: string;
  scopes?: string[];
  logger: PinoLogger;
  now?: () => Date;
}

export interface SlackOAuth {
  router: Router;
  openApiPaths: ZodOpenApiPathsObject;
  /** The link a space's admin opens to install the app into their workspace. */
  installUrl(code: string): string;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Browsers get a small page; API clients and tools get the usual JSON error. */
function answer(req: Request, res: Response, status: number, code: string, message: string): void {
  if (res.headersSent) return;
  if (req.accepts(['json', 'html']) === 'html') {
    res.status(status).type('html').send(`<!doctype html><html><head><title>Rouh Orders for Slack</title></head><body style="font-family:sans-serif;padding:2em"><h2>${status < 300 ? 'Done' : 'Not installed'}</h2><p>${escapeHtml(message)}</p></body></html>`);
  } else {
    res.status(status).json(status < 300 ? { status: code, message } : { error: { code, message } });
  }
}

/** Why a callback failed → status and words for the admin (never the library's internals). */
function failureOf(error: CodedError): { status: number; code: string; message: string } {
  if (error instanceof UnsupportedInstallError) return { status: 400, code: 'unsupported_install', message: error.message };
  switch (error.code) {
    case ErrorCode.MissingStateError:
    case ErrorCode.InvalidStateError:
      return { status: 400, code: 'invalid_state', message: 'This install attempt is not valid (expired, altered, or started in another browser). Open the install link again.' };
    case ErrorCode.MissingCodeError:
      return { status: 400, code: 'missing_code', message: 'Slack did not send an authorization code.' };
    case ErrorCode.AuthorizationError:
      return { status: 400, code: 'install_cancelled', message: 'The install was cancelled in Slack.' };
    default:
      // oauth.v2.access refused the code (used, expired, wrong app) or Slack was unreachable.
      return { status: 400, code: 'install_failed', message: 'Slack did not confirm the install. Open the install link again.' };
  }
}

export function createSlackOAuth(o: SlackOAuthOptions): SlackOAuth {
  const now = o.now ?? (() => new Date());
  const log = o.logger.child({ component: 'slack-oauth' });
  const base = o.publicBaseUrl.replace(/\/$/, '');
  const redirectUri = `${base}${SLACK_REDIRECT_PATH}`;
  const scopes = o.scopes ?? SLACK_BOT_SCOPES;
  const quiet = { debug: () => undefined, info: () => undefined, warn: (...m: unknown[]) => log.warn(m.map(String).join(' ')), error: (...m: unknown[]) => log.warn(m.map((x) => (x instanceof Error ? x.message : String(x))).join(' ')), setLevel: () => undefined, getLevel: () => 'info' as never, setName: () => undefined };
  const installer = new InstallProvider({
    clientId: o.clientId,
    clientSecret: o.clientSecret,
    stateSecret: o.stateSecret,
    installationStore: mongoInstallationStore,
    // The install link already is "Add to Slack": go straight to Slack's authorize page (it sets the state cookie first).
    directInstall: true,
    logger: quiet,
    clientOptions: { ...(o.apiUrl ? { slackApiUrl: o.apiUrl } : {}), retryConfig: { retries: 0 }, timeout: 10_000 },
    ...(o.apiUrl ? { authorizationUrl: new URL('/oauth/v2/authorize', o.apiUrl).toString() } : {}),
  });

  const router = express.Router();

  router.get(SLACK_INSTALL_PATH, async (req: Request, res: Response) => {
    const code = typeof req.query['code'] === 'string' ? req.query['code'] : '';
    if (!(await peekLinkCode(code, 'slack', now()))) {
      answer(req, res, 404, 'not_found', 'This install link has expired or was already used. Ask for a new one.');
      return;
    }
    const options: InstallURLOptions = { scopes, redirectUri, metadata: code };
    try {
      await installer.handleInstallPath(req, res, undefined, options);
    } catch (err) {
      log.error({ err: (err as Error).message }, 'slack install link failed');
      answer(req, res, 500, 'internal', 'The install could not start.');
    }
  });

  router.get(SLACK_REDIRECT_PATH, async (req: Request, res: Response) => {
    await installer.handleCallback(req, res, {
      // After oauth.v2.access, before the installation is stored: spend the link and join its space.
      afterInstallation: async (installation: Installation, installOptions: InstallURLOptions) => {
        const teamId = installation.team?.id;
        if (installation.isEnterpriseInstall || !teamId) throw new UnsupportedInstallError('Org-wide installs are not supported: install the app in one workspace.');
        const spaceId = await redeemLinkCode(String(installOptions.metadata ?? ''), 'slack', now());
        if (!spaceId) {
          answer(req, res, 410, 'expired', 'This install link has expired or was already used. Ask for a new one.');
          return false;
        }
        const joined = await connect(spaceId, { platform: 'slack', workspace: teamId, channel: '' }, installation.team?.name ?? null);
        if (!joined.ok) {
          answer(req, res, 409, 'connected_elsewhere', 'This Slack workspace is already connected to another space.');
          return false;
        }
        await markSlackInstalled(teamId);
        log.info({ team: teamId, spaceId }, 'slack workspace installed');
        return true;
      },
      success: (installation) => answer(req, res, 200, 'installed', `Rouh Orders is installed in ${installation.team?.name ?? 'your workspace'}. Message the bot to order.`),
      failure: (error) => {
        const f = failureOf(error);
        answer(req, res, f.status, f.code, f.message);
      },
    });
  });

  const page = (description: string) => ({ description, content: { 'text/html': { schema: z.string() }, 'application/json': { schema: ErrorBody } } });
  const openApiPaths: ZodOpenApiPathsObject = {
    [SLACK_INSTALL_PATH]: {
      get: op('Inbound chat', 'A space\'s Slack install link: sets the state cookie and redirects to Slack\'s authorize page', {
        security: noAuth,
        requestParams: { query: z.object({ code: z.string().optional().meta({ description: 'One-time code from POST /chat/connections' }) }) },
        responses: {
          '302': { description: 'To Slack\'s authorize page, with a signed `state` carrying the code' },
          '404': page('Unknown, used or expired code'),
          '500': page('The install could not start'),
        },
      }),
    },
    [SLACK_REDIRECT_PATH]: {
      get: op('Inbound chat', 'Slack\'s OAuth redirect: checks state and cookie, exchanges the code, connects the workspace to the link\'s space', {
        security: noAuth,
        requestParams: {
          query: z.object({ code: z.string().optional(), state: z.string().optional(), error: z.string().optional() }),
          cookie: z.object({ 'slack-app-oauth-state': z.string().optional() }),
        },
        responses: {
          '200': { description: 'Installed', content: { 'text/html': { schema: z.string() }, 'application/json': { schema: z.object({ status: z.string(), message: z.string() }) } } },
          '400': page('Missing, forged or expired state; cancelled or refused install'),
          '409': page('The workspace is connected to another space'),
          '410': page('The install link expired or was used meanwhile'),
        },
      }),
    },
  };

  return { router, openApiPaths, installUrl: (code) => `${base}${SLACK_INSTALL_PATH}?code=${encodeURIComponent(code)}` };
}
