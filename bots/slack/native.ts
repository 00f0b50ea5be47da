/**
 * Slack's NativeSender for the chat outbox: raw Block Kit posts and edits (operator cards, nudges,
 * reminders in a card's thread) and App Home views. Every post carries the outbox delivery id as message
 * metadata (`rouh_delivery`), so after an attempt whose fate is unknown the outbox can find the message in
 * conversations.history / conversations.replies instead of posting it twice (chat.postMessage has no
 * idempotency key). Needs `channels:history` (`groups:history` for a private operator channel).
 */
import type { WebClient } from '@slack/web-api';
import type { ThreadRef } from '../conversation/types.js';
import type { NativeBody, NativePost, NativeSender } from '../delivery/outbox.js';
import { classifySlackError } from './bot.js';

export const DELIVERY_MARKER = 'rouh_delivery';

/** How far back the marker lookup reads: the lost post is among the last messages of the channel or thread. */
const LOOKUP_PAGES = 3;

/** `slack:<team>:<user>` → the Slack user id. */
const slackUser = (userId: string) => userId.split(':')[2] ?? userId;

type Found = { ts?: string; metadata?: { event_type?: string; event_payload?: { id?: unknown } } };

export function createSlackNativeSender(clientFor: (teamId: string) => Promise<WebClient> | WebClient): NativeSender {
  const call = async <T>(fn: () => Promise<T>): Promise<T> => {
    try { return await fn(); } catch (err) { throw classifySlackError(err); }
  };
  return {
    platform: 'slack',

    async post(thread: ThreadRef, body: NativeBody, at: NativePost) {
      const client = await clientFor(thread.workspace);
      const r = await call(() => client.chat.postMessage({
        channel: thread.channel, ...(body as { text: string }), unfurl_links: false,
        ...(at.threadId ? { thread_ts: at.threadId } : {}),
        metadata: { event_type: DELIVERY_MARKER, event_payload: { id: at.marker } },
      }));
      return { messageId: String(r.ts) };
    },

    async edit(thread: ThreadRef, ref, body: NativeBody) {
      const client = await clientFor(thread.workspace);
      await call(() => client.chat.update({ channel: thread.channel, ts: ref.messageId, ...(body as { text: string }) }));
    },

    async publishHome(thread: ThreadRef, userId: string, body: NativeBody) {
      const client = await clientFor(thread.workspace);
      await call(() => client.views.publish({ user_id: slackUser(userId), view: body['view'] as never }));
    },

    async findPosted(thread: ThreadRef, at: NativePost, since: Date) {
      const client = await clientFor(thread.workspace);
      const oldest = (since.getTime() / 1000).toFixed(6);
      let cursor: string | undefined;
      for (let page = 0; page < LOOKUP_PAGES; page++) {
        const paging = { channel: thread.channel, oldest, limit: 200, include_all_metadata: true, ...(cursor ? { cursor } : {}) };
        const r = await call(() => (at.threadId ? client.conversations.replies({ ...paging, ts: at.threadId }) : client.conversations.history(paging)));
        const hit = ((r.messages ?? []) as Found[]).find((m) => m.metadata?.event_type === DELIVERY_MARKER && m.metadata.event_payload?.id === at.marker);
        if (hit?.ts) return { messageId: hit.ts };
        cursor = r.response_metadata?.next_cursor || undefined;
        if (!cursor) break;
      }
      return null;
    },
  };
}
