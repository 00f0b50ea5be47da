/**
 * Slack OAuth installs kept in MongoDB: @slack/oauth's `InstallationStore` over ChatSecret (`slack:<team>`),
 * the same write-only record as a bot token given to the API, so everything that needs a workspace's token
 * (Bolt's authorize, the outbox's Web API client) reads one place. Org-wide (Enterprise Grid) installs are
 * refused: a space joins workspaces, and an org install has no single one.
 */
import type { Installation, InstallationQuery, InstallationStore } from '@slack/oauth';
import { connectionId, forgetConnection } from '../connections.js';
import { ChatConnection, ChatSecret } from '../storage/models.js';

export interface SlackBotCredentials { botToken: string; botId: string | null; botUserId: string | null }

interface SlackSecretValues { botToken?: string; botId?: string | null; botUserId?: string | null; installation?: Installation }

export const slackConnectionId = (teamId: string): string => connectionId({ platform: 'slack', workspace: teamId, channel: '' });

async function secretOf(teamId: string): Promise<SlackSecretValues> {
  const found = await ChatSecret.findById(slackConnectionId(teamId), { values: 1 }).lean();
  return (found?.values ?? {}) as SlackSecretValues;
}

/** The workspace's own bot token (OAuth install or API), with its bot ids when known. */
export async function slackCredentials(teamId: string): Promise<SlackBotCredentials | null> {
  const v = await secretOf(teamId);
  return v.botToken ? { botToken: v.botToken, botId: v.botId ?? null, botUserId: v.botUserId ?? null } : null;
}

export class UnsupportedInstallError extends Error {}

export const mongoInstallationStore: InstallationStore = {
  async storeInstallation(installation: Installation): Promise<void> {
    const teamId = installation.team?.id;
    if (installation.isEnterpriseInstall || !teamId) throw new UnsupportedInstallError('org-wide installs are not supported: install the app in one workspace');
    const bot = installation.bot;
    if (!bot?.token) throw new UnsupportedInstallError('the install gave no bot token (bot scopes missing)');
    // The install link's code travels as metadata; it is spent by now and has no use later.
    const { metadata: _spent, ...kept } = installation;
    const values: SlackSecretValues = { botToken: bot.token, botId: bot.id ?? null, botUserId: bot.userId ?? null, installation: kept as Installation };
    await ChatSecret.updateOne({ _id: slackConnectionId(teamId) }, { $set: { values } }, { upsert: true });
  },

  async fetchInstallation(query: InstallationQuery<boolean>): Promise<Installation<'v1' | 'v2', boolean>> {
    const installation = query.teamId && !query.isEnterpriseInstall ? (await secretOf(query.teamId)).installation : undefined;
    if (!installation) throw new Error(`no Slack installation for team ${query.teamId ?? query.enterpriseId ?? '?'}`);
    return installation;
  },

  async deleteInstallation(query: InstallationQuery<boolean>): Promise<void> {
    if (query.teamId) await ChatSecret.deleteOne({ _id: slackConnectionId(query.teamId) });
  },
};

/** app_uninstalled, or the bot token revoked: the token is deleted; the connection stays, marked uninstalled. */
export async function markSlackUninstalled(teamId: string, now: Date): Promise<void> {
  const id = slackConnectionId(teamId);
  await ChatSecret.deleteOne({ _id: id });
  await ChatConnection.updateOne({ _id: id }, { $set: { status: 'uninstalled', uninstalledAt: now } });
  forgetConnection(id);
}

/** A (re)install through a space's link makes the connection active again. */
export async function markSlackInstalled(teamId: string): Promise<void> {
  await ChatConnection.updateOne({ _id: slackConnectionId(teamId), status: { $ne: 'active' } }, { $set: { status: 'active', uninstalledAt: null } });
}
