/**
 * A fake POS for the `http-pos` handler (test/support/worker-process.ts): it dedupes orders on the
 * Idempotency-Key (like Square) and counts requests per key. `withholdFirstAnswer`: it accepts each new order
 * but never answers that request (the worker is killed meanwhile); a retry with the same key gets the order.
 */
import http from 'node:http';
import { Integration } from '../../src/storage/models.js';
import type { AddressInfo } from 'node:net';

export interface TestPos {
  url: string;
  /** Orders placed, by idempotency key. */
  orders: Map<string, { id: string }>;
  /** Requests received, by idempotency key. */
  requests: Map<string, number>;
  requestCount(): number;
  close(): Promise<void>;
}

export function startPos(o: { withholdFirstAnswer?: boolean } = {}): Promise<TestPos> {
  const orders = new Map<string, { id: string }>();
  const requests = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const key = String(req.headers['idempotency-key']);
    requests.set(key, (requests.get(key) ?? 0) + 1);
    req.resume().on('end', () => {
      const existing = orders.get(key);
      const order = existing ?? { id: o.withholdFirstAnswer ? `pos-${orders.size + 1}` : `pos-${key}` };
      orders.set(key, order);
      if (!existing && o.withholdFirstAnswer) return; // accepted… and the answer never comes
      res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify(order));
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve({
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, orders, requests,
      requestCount: () => [...requests.values()].reduce((a, b) => a + b, 0),
      close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
    }));
  });
}

/** Makes the `http-pos` handler the provider's first integration (the worker processes point it at a TestPos). */
export async function addPosIntegration(svc: { creds: { spaceId: string; providerId: string } }): Promise<void> {
  await Integration.create({ spaceId: svc.creds.spaceId, providerId: svc.creds.providerId, type: 'api', name: 'http-pos', priority: 1, enabled: true, config: {} });
}
