/**
 * Operators work the manual queue from Slack. Two halves:
 * - outbound, an OperatorNotifier run by the engine's durable operator jobs: the task card in the space's
 *   operator channel (posted once, then edited to show the truth; no buttons once closed), the nudge
 *   (re-announced once), the reminder in the card's thread, and the App Home of every operator watching;
 * - inbound, Bolt listeners: Claim / Complete (modal) / Fail (modal) / Release, ephemeral refusals for
 *   non-operators and non-holders, App Home on open. Every decision is the engine's (ManualTaskService);
 *   a retried click is recognised by its action_ts and changes nothing.
 */
import type { App, BlockAction, ButtonAction, ViewSubmitAction } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import type { Logger } from 'pino';
import { RequestError } from '../../../src/engine/errors.js';
import type { OperatorChannel, OperatorDirectory } from '../../../src/operators/directory.js';
import type { OperatorNotifier, OperatorTaskChange } from '../../../src/operators/events.js';
import type { OperatorTaskView } from '../../../src/operators/task-view.js';
import { TaskConflict, type ManualTaskService } from '../../../src/services/manual-tasks.js';
import { insertOnce } from '../../../src/storage/insert-once.js';
import { Claim } from '../../../src/storage/models.js';
import {
  ACTION, VIEW, checkComplete, checkFail, completeModal, failModal, homeView, parseModalContext, taskCard, who, type Checked, type ModalContext,
} from './card.js';
import { SlackHomeViewer, SlackOperatorCard } from './store.js';

export interface SlackOperatorsOptions {
  tasks: ManualTaskService;
  directory: OperatorDirectory;
  /** A Web API client for a workspace (its bot token). Rate limits must surface as errors (`rejectRateLimitedCalls`). */
  client(teamId: string): WebClient | Promise<WebClient>;
  logger: Logger;
  /** How long a channel's member list is trusted (operators = members of the operator channel). */
  membersTtlMs?: number;
  now?: () => Date;
}

export interface SlackOperators {
  /** Adds the operator listeners to the Slack bot's Bolt app. */
  register(app: App): void;
  /** Give this to the engine (extension part `operatorNotifiers`). */
  notifier: OperatorNotifier;
}

/** A first post that has not recorded its ts after this long is presumed lost (its worker died) and redone. */
const POST_LEASE_MS = 30_000;
const operatorIdOf = (teamId: string, userId: string) => `slack:${teamId}:${userId}`;

/** Slack's 429 (WebAPIRateLimitedError, Retry-After in seconds) → an error the operator job waits out exactly. */
function rateLimited(err: unknown): never {
  const e = err as { code?: string; retryAfter?: number };
  if (e?.code === 'slack_webapi_rate_limited_error') throw Object.assign(new Error('Slack rate limited the call'), { retryAfterMs: (e.retryAfter ?? 1) * 1000 });
  throw err;
}

export function createSlackOperators(o: SlackOperatorsOptions): SlackOperators {
  const now = o.now ?? (() => new Date());
  const members = new Map<string, { at: number; ids: string[] }>();

  // Operators are the members of the operator channel, unless the space set an explicit list.
  o.directory.useChannelMembers('slack', async (channel: OperatorChannel) => {
    if (!channel.workspaceId) return [];
    const key = `${channel.workspaceId}:${channel.id}`;
    const cached = members.get(key);
    if (cached && now().getTime() - cached.at < (o.membersTtlMs ?? 30_000)) return cached.ids;
    const client = await o.client(channel.workspaceId);
    const ids: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 20; page++) {
      const r = await client.conversations.members({ channel: channel.id, limit: 200, ...(cursor ? { cursor } : {}) });
      ids.push(...(r.members ?? []).map((u) => operatorIdOf(channel.workspaceId!, u)));
      cursor = r.response_metadata?.next_cursor || undefined;
      if (!cursor) break;
    }
    members.set(key, { at: now().getTime(), ids });
    return ids;
  });

  /** Where a space's cards go: its operator channel, in its workspace. */
  async function channelOf(spaceId: string): Promise<{ teamId: string; channel: string } | null> {
    const setup = await o.directory.get(spaceId);
    if (setup.channel?.platform !== 'slack' || !setup.channel.workspaceId) return null;
    return { teamId: setup.channel.workspaceId, channel: setup.channel.id };
  }

  // ---------------------------------------------------------------- outbound

  /** Posts the card once; later calls edit it (and the nudge message, if any) to the task as it is now. */
  async function syncCard(client: WebClient, where: { teamId: string; channel: string }, task: OperatorTaskView): Promise<void> {
    let card = await SlackOperatorCard.findById(task.id).lean();
    if (!card) {
      await insertOnce(SlackOperatorCard, { _id: task.id, teamId: where.teamId, channel: where.channel, ts: null, postingSince: now() });
      card = (await SlackOperatorCard.findById(task.id).lean())!;
      if (!card.ts) {
        const posted = await client.chat.postMessage({ channel: card.channel, ...taskCard(task), unfurl_links: false }).catch(rateLimited);
        await SlackOperatorCard.updateOne({ _id: task.id }, { $set: { ts: posted.ts, postingSince: null } });
        return;
      }
    }
    if (!card.ts) {
      // Another run is posting it: wait for it (retry the job), unless it has been too long (it died: post again).
      if (card.postingSince && now().getTime() - new Date(card.postingSince).getTime() < POST_LEASE_MS) throw new Error('card post in flight');
      await SlackOperatorCard.updateOne({ _id: task.id }, { $set: { postingSince: now() } });
      const posted = await client.chat.postMessage({ channel: card.channel, ...taskCard(task), unfurl_links: false }).catch(rateLimited);
      await SlackOperatorCard.updateOne({ _id: task.id }, { $set: { ts: posted.ts, postingSince: null } });
      return;
    }
    await client.chat.update({ channel: card.channel, ts: card.ts, ...taskCard(task) }).catch(rateLimited);
    if (card.nudgeTs) await client.chat.update({ channel: card.channel, ts: card.nudgeTs, ...taskCard(task, { heading: 'Still waiting for an operator' }) }).catch(rateLimited);
  }

  async function nudge(client: WebClient, task: OperatorTaskView): Promise<void> {
    const card = await SlackOperatorCard.findById(task.id).lean();
    if (!card || card.nudgeTs || task.status !== 'open') return;
    const posted = await client.chat.postMessage({ channel: card.channel, ...taskCard(task, { heading: 'Still waiting for an operator' }), unfurl_links: false }).catch(rateLimited);
    await SlackOperatorCard.updateOne({ _id: task.id }, { $set: { nudgeTs: posted.ts } });
  }

  async function remind(client: WebClient, task: OperatorTaskView, change: OperatorTaskChange): Promise<void> {
    const card = await SlackOperatorCard.findById(task.id).lean();
    if (!card?.ts || task.status !== 'claimed' || task.operatorId !== change.operatorId) return;
    await client.chat.postMessage({
      channel: card.channel, thread_ts: card.ts,
      text: `${who(task.operatorId)} reminder: you claimed this order and it is not finished yet — complete it, fail it, or release it for someone else.`,
    }).catch(rateLimited);
  }

  async function refreshHomes(spaceId: string): Promise<void> {
    const viewers = await SlackHomeViewer.find({ spaceId }).limit(50).lean();
    for (const v of viewers) await publishHome(await o.client(v.teamId), spaceId, v.teamId, v.userId);
  }

  async function publishHome(client: WebClient, spaceId: string, teamId: string, userId: string): Promise<void> {
    const board = await o.tasks.board({ spaceId }, operatorIdOf(teamId, userId));
    await client.views.publish({ user_id: userId, view: homeView(board) as never }).catch(rateLimited);
  }

  const notifier: OperatorNotifier = {
    name: 'slack-operators',
    async notify(change, task) {
      const where = await channelOf(task.spaceId);
      if (!where) return; // the space has no Slack operator channel
      const client = await o.client(where.teamId);
      await syncCard(client, where, task);
      if (change.type === 'task.nudge') await nudge(client, task);
      if (change.type === 'task.reminder') await remind(client, task, change);
      await refreshHomes(task.spaceId);
    },
  };

  // ---------------------------------------------------------------- inbound

  function refusal(err: unknown): string {
    if (err instanceof TaskConflict) {
      if (err.code === 'already_claimed') return `Already claimed by ${who(err.holder)}.`;
      if (err.code === 'not_claimed_by_you' || err.code === 'claimed_by_another') return err.holder ? `Only ${who(err.holder)} can do that: they hold this order.` : 'Claim the order first.';
      if (err.code === 'task_closed') return err.message === 'the order was cancelled' ? 'The customer cancelled this order; nothing to do.' : `This order is already ${err.message.replace(/^task is already /, '')}.`;
    }
    if (err instanceof RequestError) return err.message.charAt(0).toUpperCase() + err.message.slice(1);
    throw err;
  }

  function register(app: App): void {
    app.action<BlockAction<ButtonAction>>({ type: 'block_actions', action_id: /^op_(claim|complete|fail|release)$/ }, async ({ ack, body, action, client, logger, respond }) => {
      await ack();
      const teamId = body.team?.id ?? body.user.team_id ?? '';
      const userId = body.user.id;
      const operatorId = operatorIdOf(teamId, userId);
      const taskId = action.value ?? '';
      const spaceId = await o.directory.spaceOfWorkspace('slack', teamId);
      const operatorChannel = spaceId ? (await channelOf(spaceId))?.channel ?? null : null;
      const container = body.container as { type?: string; channel_id?: string; message_ts?: string };
      const channel = container.channel_id ?? operatorChannel;
      // Refusals only the clicker sees. Through the click's response_url when it has one: that works for anyone who
      // can see the card (chat.postEphemeral needs channel membership, which a non-operator may lack).
      const tell = async (text: string) => {
        const sent = body.response_url
          ? respond({ response_type: 'ephemeral', replace_original: false, text })
          : channel ? client.chat.postEphemeral({ channel, user: userId, text }) : Promise.resolve();
        await sent.catch((err: Error) => logger.warn(`ephemeral failed: ${err.message}`));
      };
      // Views first, while the trigger_id is fresh: only cheap reads before views.open.
      if (!spaceId || !(await o.directory.isOperator(spaceId, operatorId))) return tell('Only operators can work on these orders (members of the operator channel).');
      const scope = { spaceId };
      let task: OperatorTaskView;
      try {
        task = await o.tasks.view(scope, taskId);
      } catch (err) {
        return tell(refusal(err));
      }
      const modalContext: ModalContext = { taskId, channel, messageTs: container.message_ts ?? null };
      if (action.action_id === ACTION.complete || action.action_id === ACTION.fail) {
        if (task.status !== 'claimed' || task.operatorId !== operatorId) {
          return tell(task.status === 'claimed' ? `Only ${who(task.operatorId)} can do that: they hold this order.` : task.status === 'open' ? 'Claim the order first.' : `This order is already ${task.status}.`);
        }
        const view = action.action_id === ACTION.complete ? completeModal(task, modalContext) : failModal(task, modalContext);
        await client.views.open({ trigger_id: body.trigger_id, view: view as never });
        return;
      }
      // A click Slack delivers again (retry, redelivery) carries the same action_ts: act once.
      if (!(await insertOnce(Claim, { _id: `slack-op-click:${teamId}:${userId}:${action.action_id}:${action.action_ts}`, by: operatorId }))) return;
      try {
        if (action.action_id === ACTION.claim) await o.tasks.claim(scope, taskId, operatorId);
        else await o.tasks.release(scope, taskId, operatorId);
      } catch (err) {
        await tell(refusal(err));
      }
    });

    type Submission = { ack: (r?: object) => Promise<void>; body: ViewSubmitAction; view: ViewSubmitAction['view']; client: WebClient };
    /** A modal submission: bad values go back inline (response_action: errors); good ones reach the engine after the ack. */
    const onSubmit = <T>(check: (state: unknown) => Checked<T>, act: (scope: { spaceId: string }, taskId: string, operatorId: string, value: T) => Promise<unknown>) =>
      async ({ ack, body, view, client }: Submission) => {
        const checked = check(view.state);
        if (!checked.ok) return ack({ response_action: 'errors', errors: checked.errors });
        await ack();
        const ctx = parseModalContext(view.private_metadata);
        const teamId = body.team?.id ?? body.user.team_id ?? '';
        const userId = body.user.id;
        const spaceId = await o.directory.spaceOfWorkspace('slack', teamId);
        if (!ctx || !spaceId) return;
        // The same submission delivered again (same view, same hash) is acted on once.
        if (!(await insertOnce(Claim, { _id: `slack-op-view:${teamId}:${view.id}:${view.hash}`, by: userId }))) return;
        const operatorId = operatorIdOf(teamId, userId);
        try {
          if (!(await o.directory.isOperator(spaceId, operatorId))) throw new RequestError(403, 'not_an_operator', 'only operators can work on these orders');
          await act({ spaceId }, ctx.taskId, operatorId, checked.value);
        } catch (err) {
          const channel = ctx.channel ?? (await channelOf(spaceId))?.channel;
          if (channel) await client.chat.postEphemeral({ channel, user: userId, text: refusal(err) });
        }
      };
    app.view<ViewSubmitAction>(VIEW.complete, onSubmit(checkComplete, (scope, id, operatorId, v) => o.tasks.complete(scope, id, { operatorId, ...v })) as never);
    app.view<ViewSubmitAction>(VIEW.fail, onSubmit(checkFail, (scope, id, operatorId, v) => o.tasks.fail(scope, id, { operatorId, ...v })) as never);

    app.event('app_home_opened', async ({ event, body, client }) => {
      if (event.tab !== 'home') return;
      const teamId = (body as { team_id?: string }).team_id ?? '';
      const spaceId = await o.directory.spaceOfWorkspace('slack', teamId);
      if (!spaceId || !(await o.directory.isOperator(spaceId, operatorIdOf(teamId, event.user)))) {
        await client.views.publish({ user_id: event.user, view: { type: 'home', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'Order here by DM or with `/order`. (Manual orders are shown to operators only.)' } }] } });
        return;
      }
      await SlackHomeViewer.updateOne({ _id: `${teamId}:${event.user}` }, { $set: { spaceId, teamId, userId: event.user } }, { upsert: true });
      await publishHome(client, spaceId, teamId, event.user);
    });
  }

  return { register, notifier };
}
