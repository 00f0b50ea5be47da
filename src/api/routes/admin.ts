/** `/admin/spaces`: spaces and their API keys, for operators holding ADMIN_TOKEN. Plain keys appear once. */
import express, { Router, type Request, type Response } from 'express';
import type { z } from 'zod';
import { fromZod } from '../../engine/errors.js';
import { createKey, createSpace, listSpaces, revokeKey, rotateKey } from '../../services/spaces.js';
import { requireJsonBody } from '../json-body.js';
import { CreateKeyBody, CreateSpaceBody } from '../schemas.js';

const parse = <T>(schema: z.ZodType<T>, body: unknown): T => {
  const r = schema.safeParse(body ?? {});
  if (!r.success) throw fromZod(r.error);
  return r.data;
};

/** Mounted behind requireAdmin (ADMIN_TOKEN) on /admin/spaces. */
export function adminRouter(opts: { maxBodyBytes: number }): Router {
  const router = Router();
  const json = Router().use(requireJsonBody, express.json({ limit: opts.maxBodyBytes, strict: true }));
  router.get('/admin/spaces', async (_req, res) => {
    res.json({ spaces: await listSpaces() });
  });
  router.post('/admin/spaces', json, async (req, res) => {
    const body = parse(CreateSpaceBody, req.body);
    const created = await createSpace(body.name, body.keyLabel);
    req.log.info({ spaceId: created.space.id, keyId: created.key.id }, 'space created');
    res.status(201).set('cache-control', 'no-store').json(created);
  });
  router.post('/admin/spaces/:spaceId/keys', json, async (req: Request<{ spaceId: string }>, res: Response) => {
    const issued = await createKey(req.params.spaceId, parse(CreateKeyBody, req.body).label);
    req.log.info({ spaceId: req.params.spaceId, keyId: issued.key.id }, 'API key created');
    res.status(201).set('cache-control', 'no-store').json(issued);
  });
  router.post('/admin/spaces/:spaceId/keys/:keyId/rotate', json, async (req: Request<{ spaceId: string; keyId: string }>, res: Response) => {
    const rotated = await rotateKey(req.params.spaceId, req.params.keyId);
    req.log.info({ spaceId: req.params.spaceId, keyId: rotated.key.id, revoked: rotated.revoked }, 'API key rotated');
    res.status(201).set('cache-control', 'no-store').json(rotated);
  });
  router.delete('/admin/spaces/:spaceId/keys/:keyId', async (req, res) => {
    await revokeKey(req.params.spaceId, req.params.keyId);
    req.log.info({ spaceId: req.params.spaceId, keyId: req.params.keyId }, 'API key revoked');
    res.status(204).end();
  });
  return router;
}
