/**
 * Who the operators of a space are, and where its task cards go: the space's operator channel, whose
 * members are its operators unless an explicit list was set through the API. How to list a channel's
 * members is the chat platform's business: it registers a lookup here (no chat SDK in src/).
 */
import { OperatorSettings } from '../storage/models.js';

export interface OperatorChannel { platform: 'slack'; workspaceId: string | null; id: string }
export interface OperatorSetup { channel: OperatorChannel | null; operators: string[] | null }

/** Operator ids (`slack:<team>:<user>`) of the channel's members. */
export type ChannelMembers = (channel: OperatorChannel) => Promise<string[]>;

export class OperatorDirectory {
  private readonly members = new Map<string, ChannelMembers>();

  useChannelMembers(platform: OperatorChannel['platform'], lookup: ChannelMembers): void {
    this.members.set(platform, lookup);
  }

  async get(spaceId: string): Promise<OperatorSetup> {
    const s = await OperatorSettings.findById(spaceId).lean();
    const c = s?.channel;
    return {
      channel: c?.id ? { platform: (c.platform ?? 'slack') as 'slack', workspaceId: c.workspaceId ?? null, id: c.id } : null,
      operators: s?.operators ?? null,
    };
  }

  async set(spaceId: string, setup: OperatorSetup): Promise<OperatorSetup> {
    await OperatorSettings.updateOne({ _id: spaceId }, { $set: { channel: setup.channel ?? { platform: 'slack', workspaceId: null, id: null }, operators: setup.operators } }, { upsert: true });
    return this.get(spaceId);
  }

  /** The space whose operator channel this is (a card's buttons arrive from the channel). */
  async spaceOfChannel(platform: OperatorChannel['platform'], channelId: string): Promise<string | null> {
    const s = await OperatorSettings.findOne({ 'channel.platform': platform, 'channel.id': channelId }, { _id: 1 }).lean();
    return s ? String(s._id) : null;
  }

  /**
   * The spaces whose operator channel lives in this workspace (App Home and clicks arrive per workspace; one
   * workspace may serve several spaces, each with its own channel).
   */
  async spacesOfWorkspace(platform: OperatorChannel['platform'], workspaceId: string): Promise<string[]> {
    const found = await OperatorSettings.find({ 'channel.platform': platform, 'channel.workspaceId': workspaceId }, { _id: 1 }).sort({ _id: 1 }).limit(50).lean();
    return found.map((s) => String(s._id));
  }

  async isOperator(spaceId: string, operatorId: string): Promise<boolean> {
    const setup = await this.get(spaceId);
    if (setup.operators) return setup.operators.includes(operatorId);
    const lookup = setup.channel && this.members.get(setup.channel.platform);
    return lookup ? (await lookup(setup.channel!)).includes(operatorId) : false;
  }
}
