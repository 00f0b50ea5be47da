/** A space's operators: the channel where task cards go (its members are the operators) and an optional explicit list. */
import { Router } from 'express';
import type { OperatorDirectory } from '../../operators/directory.js';
import { fromZod } from '../../engine/errors.js';
import { PutOperatorsBody as Body } from '../schemas.js';

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
