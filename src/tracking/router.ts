/**
 * `/o/<token>`: the customer's order page (no API key; the signed token is the credential) and its live
 * fragment. Read-only; no secrets, no phone numbers; not indexed, not cached, no referrer leaks the token.
 */
import { Router, type Response } from 'express';
import { notFoundPage, orderFragment, orderPage, orderPageClient, ORDER_PAGE_CSS } from './page.js';
import { verifyTrackingToken } from './token.js';
import { loadTrackingView } from './view.js';

const CLIENT_JS = `(${orderPageClient.toString()})();\n`;

function privatePage(res: Response): Response {
  return res.set({
    'cache-control': 'no-store',
    'referrer-policy': 'no-referrer',
    'x-robots-tag': 'noindex',
    'x-content-type-options': 'nosniff',
    'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  });
}

export function trackingRouter(deps: { key: Buffer }): Router {
  const router = Router();
  router.get('/o/assets/order-page.js', (_req, res) => { res.type('application/javascript').set('cache-control', 'public, max-age=300').send(CLIENT_JS); });
  router.get('/o/assets/order-page.css', (_req, res) => { res.type('text/css').set('cache-control', 'public, max-age=300').send(ORDER_PAGE_CSS); });

  const view = async (token: string) => {
    const actionId = verifyTrackingToken(token, deps.key);
    return actionId ? loadTrackingView(actionId) : null;
  };
  router.get('/o/:token', async (req, res) => {
    const v = await view(req.params.token);
    privatePage(res).type('html');
    if (!v) return void res.status(404).send(notFoundPage());
    res.send(orderPage(v, req.params.token));
  });
  router.get('/o/:token/live', async (req, res) => {
    const v = await view(req.params.token);
    privatePage(res).type('html');
    if (!v) return void res.status(404).send('<p>Order not found</p>');
    res.send(orderFragment(v));
  });
  return router;
}
