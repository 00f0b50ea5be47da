/**
 * Provider onboarding for a space: providers, their catalog (the parser's import format), integrations and
 * their write-only secrets, the integration probe. Each route parses → calls a service → serializes.
 * Request bodies are never logged: secret values pass through here.
 */
import { Router, type Request } from 'express';
import type { z } from 'zod';
import { RequestError, fromZod } from '../../engine/errors.js';
import { loadCatalog, replaceCatalog } from '../../services/catalog.js';
import type { IntegrationRecord, IntegrationService } from '../../services/integrations.js';
import { createProvider, getProvider, listProviders, updateProvider, type ProviderRecord } from '../../services/providers.js';
import { CatalogBody, CreateIntegration, CreateProvider, PatchIntegration, PatchProvider, SecretsBody } from '../provider-schemas.js';
import { serializeIntegration, serializeProvider } from '../serialize-provider.js';

export interface ProvidersRouterDeps {
  now: () => Date;
  integrations: IntegrationService;
}

/** Zod → 400 naming the field; unknown top-level fields are named too (typos fail instead of being dropped). */
function parse<T>(schema: z.ZodType<T>, body: unknown, prefix = ''): T {
  const r = schema.safeParse(body ?? {});
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  if (issue.code === 'unrecognized_keys') {
    const field = [prefix, ...issue.path.map(String), issue.keys[0]].filter(Boolean).join('.');
    throw new RequestError(400, 'unknown_field', `${field}: unknown field`, field);
  }
  throw fromZod(r.error, prefix);
}

const scope = (req: Request) => ({ spaceId: req.spaceId! });
const providerJson = (r: ProviderRecord) => serializeProvider(r.provider, r.itemIds);
const integrationJson = (r: IntegrationRecord) => serializeIntegration(r.integration, r.secretNames);

export function providersRouter(deps: ProvidersRouterDeps): Router {
  const router = Router();
  const integrations = deps.integrations;

  router.post('/providers', async (req, res) => {
    const created = await createProvider(scope(req), parse(CreateProvider, req.body));
    req.log.info({ providerId: created.provider._id.toString(), itemId: created.itemId }, 'provider created');
    res.status(201).json({ provider: providerJson(created), itemId: created.itemId });
  });
  router.get('/providers', async (req, res) => {
    res.json({ providers: (await listProviders(scope(req))).map(providerJson) });
  });
  router.get('/providers/:id', async (req, res) => {
    res.json({ provider: providerJson(await getProvider(scope(req), req.params.id)) });
  });
  router.patch('/providers/:id', async (req, res) => {
    res.json({ provider: providerJson(await updateProvider(scope(req), req.params.id, parse(PatchProvider, req.body))) });
  });

  router.get('/providers/:id/catalog', async (req, res) => {
    res.json(await loadCatalog(scope(req), req.params.id));
  });
  router.put('/providers/:id/catalog', async (req, res) => {
    const catalog = await replaceCatalog(scope(req), req.params.id, parse(CatalogBody, req.body));
    req.log.info({ providerId: req.params.id, items: catalog.items.length, modifiers: catalog.modifiers.length }, 'catalog replaced');
    res.json(catalog);
  });

  router.get('/providers/:id/integrations', async (req, res) => {
    res.json({ integrations: (await integrations.list(scope(req), req.params.id)).map(integrationJson) });
  });
  router.post('/providers/:id/integrations', async (req, res) => {
    const created = await integrations.create(scope(req), req.params.id, parse(CreateIntegration, req.body));
    req.log.info({ providerId: req.params.id, integrationId: created.integration._id.toString(), handler: created.integration.name }, 'integration created');
    res.status(201).json({ integration: integrationJson(created) });
  });
  router.patch('/providers/:id/integrations/:integrationId', async (req, res) => {
    res.json({ integration: integrationJson(await integrations.update(scope(req), req.params.id, req.params.integrationId, parse(PatchIntegration, req.body))) });
  });
  router.delete('/providers/:id/integrations/:integrationId', async (req, res) => {
    await integrations.remove(scope(req), req.params.id, req.params.integrationId);
    req.log.info({ integrationId: req.params.integrationId }, 'integration deleted');
    res.status(204).end();
  });

  /** Merges secret values; `null` removes one. The response lists secret names only, never values. */
  router.put('/providers/:id/integrations/:integrationId/secrets', async (req, res) => {
    const { values } = parse(SecretsBody, req.body);
    const updated = await integrations.setSecrets(scope(req), req.params.id, req.params.integrationId, values);
    req.log.info({ integrationId: req.params.integrationId, secretNames: Object.keys(values) }, 'integration secrets updated');
    res.json({ integration: integrationJson(updated) });
  });

  /** A new webhook signing secret, shown in this response only (write-only everywhere else). */
  router.post('/providers/:id/integrations/:integrationId/secrets/rotate-webhook-secret', async (req, res) => {
    const rotated = await integrations.rotateGeneratedSecret(scope(req), req.params.id, req.params.integrationId);
    req.log.info({ integrationId: req.params.integrationId }, 'generated secret rotated');
    res.set('Cache-Control', 'no-store');
    res.json({ [rotated.name]: rotated.value, rotatedAt: deps.now().toISOString(), integration: integrationJson(rotated) });
  });

  /** 200 with the probe's result whether or not the integration works. */
  router.post('/providers/:id/integrations/:integrationId/test', async (req, res) => {
    res.json(await integrations.probe(scope(req), req.params.id, req.params.integrationId));
  });

  return router;
}
