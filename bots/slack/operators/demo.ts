/**
 * The operator side of the zero-credential demo: an operator ("Olive") and an #ops channel in the simulated
 * Slack workspace, set as the demo space's operator channel, and console routes that let
 * `npm run chat -- --as operator` read #ops and press buttons / fill modals as Olive (through the Slack
 * driver, so the bot receives exactly what Slack would send).
 *   GET  /operator/messages                 the bot's messages in #ops (cards, nudges, reminders)
 *   POST /operator/press  {messageId, n}    presses the n-th button of a card → {pressed, modal?}
 *   POST /operator/submit {viewId, values}  submits the open modal → {errors?} (inline validation errors)
 */
import express, { type Router } from 'express';
import { OperatorSettings } from '../../../src/storage/models.js';
import type { SlackDriver } from '../simulator/driver.js';
import { ACTION } from './card.js';
import type { SlackSimulator } from '../simulator/simulator.js';

export interface OperatorDemo { userId: string; channel: string }

export interface ConsoleModal { viewId: string; title: string; fields: Array<{ id: string; label: string; optional: boolean }> }

const MODAL_BUTTONS: ReadonlySet<string> = new Set([ACTION.complete, ACTION.fail]);

type Button = { action_id: string; value?: string; text?: { text?: string } };
const buttonsOf = (blocks: unknown[] | undefined): Button[] =>
  (blocks ?? []).flatMap((b) => ((b as { type?: string }).type === 'actions' ? ((b as { elements?: Button[] }).elements ?? []) : []));

/** Olive and #ops in the demo workspace; #ops becomes the demo space's operator channel. */
export async function setupOperatorDemo(sim: SlackSimulator, spaceId: string): Promise<OperatorDemo> {
  const olive = sim.addUser({ name: 'olive', realName: 'Olive (operator)' });
  const ops = sim.addChannel({ name: 'ops', members: [olive.id] });
  await OperatorSettings.updateOne({ _id: spaceId }, { $set: { channel: { platform: 'slack', workspaceId: sim.workspace.teamId, id: ops.id }, operators: null } }, { upsert: true });
  return { userId: olive.id, channel: ops.id };
}

function modalOf(sim: SlackSimulator, userId: string, after: number): ConsoleModal | null {
  const view = sim.views().slice(after).reverse().find((v) => v.userId === userId && v.view['type'] === 'modal');
  if (!view) return null;
  const blocks = (view.view['blocks'] as Array<{ type?: string; block_id?: string; optional?: boolean; label?: { text?: string } }> | undefined) ?? [];
  return {
    viewId: view.id,
    title: (view.view['title'] as { text?: string } | undefined)?.text ?? 'Form',
    fields: blocks.filter((b) => b.type === 'input' && b.block_id).map((b) => ({ id: b.block_id!, label: b.label?.text ?? b.block_id!, optional: !!b.optional })),
  };
}

export function operatorConsoleRouter(demo: { sim: SlackSimulator; driver: SlackDriver; operator: OperatorDemo }): Router {
  const { sim, driver, operator } = demo;
  const router = express.Router();
  router.use(express.json());

  router.get('/operator/messages', (_req, res) => {
    const messages = sim.messages({ channel: operator.channel, includeEphemeral: true }).filter((m) => m.botId && (!m.ephemeralTo || m.ephemeralTo === operator.userId)).map((m) => ({
      id: m.ts, thread: m.threadTs ?? null, text: m.text, buttons: buttonsOf(m.blocks).map((b) => b.text?.text ?? b.action_id), edits: m.edits,
    }));
    res.json({ messages });
  });

  router.post('/operator/press', async (req, res) => {
    const { messageId, n } = req.body as { messageId?: string; n?: number };
    const m = sim.message(operator.channel, String(messageId));
    const button = m ? buttonsOf(m.blocks)[Number(n) - 1] : undefined;
    if (!m || !button) return void res.status(404).json({ error: { code: 'not_found', message: 'no such button' } });
    const viewsBefore = sim.views().length;
    await driver.clickButton({ user: operator.userId, channel: operator.channel, messageTs: m.ts, actionId: button.action_id, ...(button.value ? { value: button.value } : {}) });
    // The bot acks first and opens the modal right after: wait for it (bounded) when the button opens one.
    let modal = modalOf(sim, operator.userId, viewsBefore);
    for (let i = 0; !modal && MODAL_BUTTONS.has(button.action_id) && i < 30; i++) {
      await new Promise((r) => setTimeout(r, 100));
      modal = modalOf(sim, operator.userId, viewsBefore);
    }
    res.json({ pressed: button.text?.text ?? button.action_id, modal });
  });

  router.post('/operator/submit', async (req, res) => {
    const { viewId, values } = req.body as { viewId?: string; values?: Record<string, string> };
    if (!viewId || !values) return void res.status(400).json({ error: { code: 'validation_failed', message: 'viewId and values are required', field: viewId ? 'values' : 'viewId' } });
    const delivery = await driver.submitView({ user: operator.userId, viewId, values });
    const body = delivery.responseBody ? (JSON.parse(delivery.responseBody) as { response_action?: string; errors?: Record<string, string> }) : {};
    res.json(body.response_action === 'errors' ? { errors: body.errors } : { ok: true });
  });

  return router;
}
