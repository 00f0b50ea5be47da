/**
 * Operators work the manual queue from Slack. Two halves:
 * - outbound, an OperatorNotifier: every task change queues, in the chat outbox (the same durable,
 *   deduplicated, ordered, rate-limit-aware delivery as customer messages), the task card in the space's
 *   operator channel (posted once, then edited; rendered when sent, so it always shows the truth and has no
 *   buttons once closed), the nudge (re-announced once, kept in step with the card), the reminder in the
 *   card's thread, and the App Home of every operator watching in that workspace;
 * - inbound, Bolt listeners: Claim / Complete (modal) / Fail (modal) / Release, ephemeral refusals for
 *   non-operators and non-holders, App Home on open. Every decision is the engine's (ManualTaskService);
 *   a retried click is recognised by its action_ts and changes nothing.
 */
import type { App, BlockAction, ButtonAction, ViewSubmitAction } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import type { Logger } from 'pino';
import { RequestError } from '../../../src/engine/errors.js';
import type { OperatorChannel, OperatorDirectory } from '../../../src/operators/directory.js';
import type { OperatorNotifier } from '../../../src/operators/events.js';
import { loadTaskView } from '../../../src/operators/load-view.js';
import type { OperatorTaskView } from '../../../src/operators/task-view.js';
import { TaskConflict, type ManualTaskService } from '../../../src/services/manual-tasks.js';
import { insertOnce } from '../../../src/storage/insert-once.js';
import { Claim } from '../../../src/storage/models.js';
import { threadKey, type ThreadRef } from '../../conversation/types.js';
import { seqAt, type ChatOutbox, type OutgoingMessage } from '../../delivery/outbox.js';
import { ChatCard } from '../../storage/models.js';
import { classifySlackError } from '../bot.js';
import { createSlackNativeSender } from '../native.js';
import {
  ACTION, VIEW, checkComplete, checkFail, completeModal, failModal, homeView, NON_OPERATOR_HOME, parseModalContext, taskCard, who, type Checked, type ModalContext,
} from './card.js';
import { SlackHomeViewer } from './store.js';

export interface SlackOperatorsOptions {
  tasks: ManualTaskService;
  directory: OperatorDirectory;
  /** The chat outbox: cards, nudges, reminders and App Home views are queued there. */
  outbox: ChatOutbox;
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

const operatorIdOf = (teamId: string, userId: string) => `slack:${teamId}:${userId}`;
/** Renderers the outbox calls when it sends (registered below). */
const RENDER = { card: 'slack-operator-card', home: 'slack-operator-home' } as const;
const cardKey = (taskId: string) => `op-task:${taskId}`;
const nudgeKey = (taskId: string) => `op-nudge:${taskId}`;
const NUDGE_HEADING = 'Still waiting for an operator';
/** App Home lanes: one per user, so a slow home never holds up the channel's cards. */
const homeLane = (teamId: string, userId: string): ThreadRef => ({ platform: 'slack', workspace: teamId, channel: `home:${userId}`, thread: null });

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

  /**
   * The spaces whose tasks this person works on in this workspace: every space with its operator channel
   * here that counts them as an operator (one workspace may serve several spaces).
   */
  async function spacesOf(teamId: string, userId: string): Promise<string[]> {
    const spaces = await o.directory.spacesOfWorkspace('slack', teamId);
    const mine: string[] = [];
    for (const spaceId of spaces) if (await o.directory.isOperator(spaceId, operatorIdOf(teamId, userId))) mine.push(spaceId);
    return mine;
  }

  /** The space of a task a click or submission names, among the spaces this person operates for. */
  async function spaceOfTask(teamId: string, userId: string, taskId: string): Promise<{ spaceId: string | null; task: OperatorTaskView | null }> {
    const spaces = await spacesOf(teamId, userId);
    for (const spaceId of spaces) {
      const task = await o.tasks.view({ spaceId }, taskId).catch((err: unknown) => {
        if (err instanceof RequestError && err.status === 404) return null;
        throw err;
      });
      if (task) return { spaceId, task };
    }
    return { spaceId: spaces[0] ?? null, task: null };
  }

  // ---------------------------------------------------------------- outbound (through the chat outbox)

  o.outbox.useNativeSender(createSlackNativeSender(o.client));
  // Rendered when sent: the card as the task is at that moment (ref: the task id, "|nudge" for the nudge's heading).
  o.outbox.useRenderer(RENDER.card, async (ref) => {
    const [taskId, variant] = ref.split('|');
    const task = await loadTaskView(taskId!);
    return task ? taskCard(task, variant === 'nudge' ? { heading: NUDGE_HEADING } : {}) : null;
  });
  // An App Home: the tasks of every space this person operates for in the workspace (ref: "<team>:<user>").
  o.outbox.useRenderer(RENDER.home, async (ref) => {
    const [teamId, userId] = ref.split(':') as [string, string];
    // Who operates where reads channel members from Slack: its 429 is waited out like a send's.
    const spaces = await spacesOf(teamId, userId).catch((err: { code?: string }) => {
      throw err?.code?.startsWith('slack_') ? classifySlackError(err) : err;
    });
    if (spaces.length === 0) return { view: NON_OPERATOR_HOME };
    const board: { mine: OperatorTaskView[]; unclaimed: OperatorTaskView[] } = { mine: [], unclaimed: [] };
    for (const spaceId of spaces) {
      const b = await o.tasks.board({ spaceId }, operatorIdOf(teamId, userId));
      board.mine.push(...b.mine);
      board.unclaimed.push(...b.unclaimed);
    }
    return { view: homeView(board) };
  });

  const homeMessage = (id: string, teamId: string, userId: string, seq: number): OutgoingMessage => ({
    id, thread: homeLane(teamId, userId), userId: operatorIdOf(teamId, userId), seq, native: { kind: 'home', render: { with: RENDER.home, ref: `${teamId}:${userId}` } },
  });

  const notifier: OperatorNotifier = {
    name: 'slack-operators',
    async notify(change, task) {
      const where = await channelOf(task.spaceId);
      if (!where) return; // the space has no Slack operator channel
      // One lane per operator channel: a card is posted before its edits, its nudge and the reminder in its thread.
      const lane: ThreadRef = { platform: 'slack', workspace: where.teamId, channel: where.channel, thread: null };
      const at = new Date(change.at);
      const live = (ref: string) => ({ with: RENDER.card, ref });
      const messages: OutgoingMessage[] = [
        { id: `op:${change.key}:card`, thread: lane, userId: null, seq: seqAt(at, 0), native: { kind: 'post', card: cardKey(task.id), render: live(task.id) } },
      ];
      if (change.type === 'task.nudge') {
        if (task.status === 'open') messages.push({ id: `op:${change.key}:nudge`, thread: lane, userId: null, seq: seqAt(at, 1), native: { kind: 'post', card: nudgeKey(task.id), render: live(`${task.id}|nudge`) } });
      } else if (await ChatCard.exists({ _id: `${threadKey(lane)}|${nudgeKey(task.id)}` })) {
        // The nudge message follows the card (a pending nudge is rendered when sent, so it needs no edit).
        messages.push({ id: `op:${change.key}:nudge-edit`, thread: lane, userId: null, seq: seqAt(at, 1), native: { kind: 'post', card: nudgeKey(task.id), editOnly: true, render: live(`${task.id}|nudge`) } });
      }
      if (change.type === 'task.reminder' && task.status === 'claimed' && task.operatorId === change.operatorId) {
        messages.push({
          id: `op:${change.key}:reminder`, thread: lane, userId: null, seq: seqAt(at, 2), native: {
            kind: 'post', replyToCard: cardKey(task.id),
            body: { text: `${who(task.operatorId)} reminder: you claimed this order and it is not finished yet — complete it, fail it, or release it for someone else.` },
          },
        });
      }
      // Everyone watching an App Home in this workspace sees the change (their home shows all their spaces).
      const viewers = await SlackHomeViewer.find({ teamId: where.teamId }).limit(50).lean();
      for (const v of viewers) messages.push(homeMessage(`op:${change.key}:home:${v.userId}`, where.teamId, v.userId, seqAt(at, 0)));
      await o.outbox.enqueue(messages);
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
      // Views first, while the trigger_id is fresh: only cheap reads before views.open.
      const { spaceId, task: found } = await spaceOfTask(teamId, userId, taskId);
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
      if (!spaceId) return tell('Only operators can work on these orders (members of the operator channel).');
      if (!found) return tell('This order is not in your queue any more.');
      const scope = { spaceId };
      const task = found;
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
        if (!ctx) return;
        const { spaceId, task } = await spaceOfTask(teamId, userId, ctx.taskId);
        if (!spaceId && !ctx.channel) return;
        // The same submission delivered again (same view, same hash) is acted on once.
        if (!(await insertOnce(Claim, { _id: `slack-op-view:${teamId}:${view.id}:${view.hash}`, by: userId }))) return;
        const operatorId = operatorIdOf(teamId, userId);
        try {
          if (!spaceId || !task) throw new RequestError(403, 'not_an_operator', 'only operators can work on these orders');
          await act({ spaceId }, ctx.taskId, operatorId, checked.value);
        } catch (err) {
          const channel = ctx.channel ?? (spaceId ? (await channelOf(spaceId))?.channel : null);
          if (channel) await client.chat.postEphemeral({ channel, user: userId, text: refusal(err) });
        }
      };
    app.view<ViewSubmitAction>(VIEW.complete, onSubmit(checkComplete, (scope, id, operatorId, v) => o.tasks.complete(scope, id, { operatorId, ...v })) as never);
    app.view<ViewSubmitAction>(VIEW.fail, onSubmit(checkFail, (scope, id, operatorId, v) => o.tasks.fail(scope, id, { operatorId, ...v })) as never);

    // The home is published through the outbox like every other view; who sees which tasks is decided when it renders.
    app.event('app_home_opened', async ({ event, body }) => {
      if (event.tab !== 'home') return;
      const teamId = (body as { team_id?: string }).team_id ?? '';
      const eventId = (body as { event_id?: string }).event_id ?? `${event.user}:${event.event_ts}`;
      if ((await spacesOf(teamId, event.user)).length > 0) {
        await SlackHomeViewer.updateOne({ _id: `${teamId}:${event.user}` }, { $set: { teamId, userId: event.user } }, { upsert: true });
      }
      await o.outbox.enqueue([homeMessage(`op:home-opened:${teamId}:${eventId}`, teamId, event.user, seqAt(now()))]);
    });
  }

  return { register, notifier };
}
