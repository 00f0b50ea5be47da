/**
 * The zero-credential demo's Square: a local Square simulator, and the demo café's `api` integration
 * pointed at it (re-pointed on every start, since the simulator's port changes).
 */
import { startSquareSimulator, type SquareSimulator, type SquareSimulatorOptions } from '../../handlers/square/simulator.js';
import { localSecret } from '../local-secrets.js';
import { Integration, IntegrationSecret } from '../storage/models.js';
import type { DemoCredentials } from './demo.js';

/** The signature key is generated per data folder: a constant in the source would let anyone sign a "ready" or a cancel. */
export async function startDemoSquare(creds: DemoCredentials, publicBaseUrl: string, dataDir: string, opts: { prepSeconds?: number; down?: boolean } = {}): Promise<SquareSimulator> {
  const signatureKey = await demoSquareSignatureKey(dataDir);
  const sim = await startSquareSimulator(demoSquareOptions(creds, publicBaseUrl, signatureKey, opts.prepSeconds ?? 0));
  // DEMO_SQUARE_DOWN: every POS call fails (503), so the manual path (email, then an operator) can be seen.
  if (opts.down) sim.setFault({ kind: 'status', status: 503 });
  await pointDemoSquareAt(creds, sim, signatureKey);
  return sim;
}

export const demoSquareSignatureKey = (dataDir: string): Promise<string> => localSecret(dataDir, 'demo-square-signature-key');

/** How the demo's simulator runs (plain data: the bench starts it in another process). */
export function demoSquareOptions(creds: DemoCredentials, publicBaseUrl: string, signatureKey: string, prepSeconds = 0): SquareSimulatorOptions {
  return {
    ...(prepSeconds > 0 ? { prepareAfterMs: prepSeconds * 1000 } : {}),
    // Like Square: an event answered "retry later" (it came before the order was recorded) is delivered again.
    redeliverFailedAfterMs: 1000,
    webhook: { url: `${publicBaseUrl}/integrations/square/webhooks/${creds.providerId}`, signatureKey },
  };
}

/** The demo café's `api` integration pointed at a Square simulator (this process's or another's). */
export async function pointDemoSquareAt(creds: DemoCredentials, sim: { baseUrl: string; accessToken: string }, signatureKey: string): Promise<void> {
  const integration = await Integration.findOneAndUpdate(
    { providerId: creds.providerId, name: 'square' },
    {
      $set: { config: { baseUrl: sim.baseUrl, locationId: 'DEMO_LOCATION', timeoutSeconds: 10 } },
      $setOnInsert: { spaceId: creds.spaceId, type: 'api', priority: 10, enabled: true },
    },
    { upsert: true, returnDocument: 'after' },
  ).lean();
  await IntegrationSecret.updateOne({ _id: integration!._id }, { $set: { values: { accessToken: sim.accessToken, webhookSignatureKey: signatureKey } } }, { upsert: true });
}
