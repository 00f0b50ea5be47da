/** A space's operators: the channel where task cards go (its members are the operators) and an optional explicit list. */
import { Router } from 'express';
import { z } from 'zod';
import type { OperatorDirectory } from '../../operators/directory.js';
import { fromZod } from '../../engine/errors.js';

const SlackId = z.string().trim().regex(/^[A-Z0-9]{2,30}$/, 'must be a Slack id such as C0123ABC');
const Body = z.object({
  channel: z.object({ platform: z.literal('slack').default('slack'), id: SlackId, workspaceId: SlackId.nullish() }).strict().nullable(),
  operators: z.array(z.string().trim().regex(/^slack:[A-Z0-9]+:[A-Z0-9]+$/, 'must look like slack:<team>:<user>')).max(200).nullish(),
}).strict();

export function operatorsRouter(deps: { directory: OperatorDirectory }): Router {
  const router = Router();

  router.get('/operators', async (req, res) => {
    res.json({ operators: await deps.directory.get(req.spaceId!) });
  });

  router.put('/operators', async (req, res) => {
    const r = Body.safeParse(req.body ?? {});
    if (!r.success) throw fromZod(r.error);
    const { channel, operators } = r.data;
    res.json({ operators: await deps.directory.set(req.spaceId!, { channel: channel ? { platform: 'slack', id: channel.id, workspaceId: channel.workspaceId ?? null } : null, operators: operators ?? null }) });
  });

  return router;
}
