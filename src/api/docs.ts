/**
 * `/openapi.json` and `/docs`: Swagger UI from the swagger-ui-dist package, served from node_modules (no CDN:
 * the docs work offline and behind a firewall). The init script is a file, not inline, so a strict CSP holds.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import express, { Router } from 'express';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import { buildOpenApiDocument } from './openapi.js';

const swaggerUiDir = path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

const PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>rouh-actions API</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css"><link rel="icon" href="/docs/assets/favicon-32x32.png"></head>
<body><main id="swagger-ui"></main>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script>
</body>
</html>`;

const INIT = `window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui', deepLinking: true, persistAuthorization: true, tryItOutEnabled: true });\n`;

export function docsRouter(opts: { publicBaseUrl: string; handlerNames?: string[]; seedItemId?: () => Promise<string | null>; extraPaths?: ZodOpenApiPathsObject }): Router {
  const router = Router();
  // Built on first use, once the demo (if any) has been seeded, so the example order names a real item.
  let document: string | null = null;
  router.get('/openapi.json', async (_req, res) => {
    if (!document) {
      const seedItemId = (await opts.seedItemId?.().catch(() => null)) ?? null;
      const built = JSON.stringify(buildOpenApiDocument({ serverUrl: opts.publicBaseUrl, seedItemId, handlerNames: opts.handlerNames, extraPaths: opts.extraPaths }));
      if (seedItemId || !opts.seedItemId) document = built;
      return void res.type('application/json').send(built);
    }
    res.type('application/json').send(document);
  });
  router.get('/docs', (_req, res) => {
    res.set('content-security-policy', "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'").type('html').send(PAGE);
  });
  router.get('/docs/init.js', (_req, res) => { res.type('application/javascript').send(INIT); });
  router.use('/docs/assets', express.static(swaggerUiDir, { index: false, maxAge: '1h' }));
  return router;
}
