/**
 * RetrieveOrder for an order id a Square webhook names that we have no record of: its `reference_id` is the
 * action id we put on every order we create (order-request.ts), so it says exactly whether the order is ours.
 */
import { SquareClient, SquareError } from 'square';
import type { IntegrationView } from '../../src/engine/types.js';
import { parseSquareIntegration } from './config.js';

/** The order's reference id (null when it has none); `undefined` when Square has no such order. Throws when Square cannot be asked. */
export async function squareOrderReference(integration: IntegrationView, orderId: string): Promise<string | null | undefined> {
  const parsed = parseSquareIntegration(integration);
  if (!parsed.ok) throw new Error(parsed.message);
  const client = new SquareClient({ token: parsed.secrets.accessToken, baseUrl: parsed.baseUrl });
  try {
    const { order } = await client.orders.get({ orderId }, { maxRetries: 0, timeoutInSeconds: parsed.config.timeoutSeconds });
    return order ? (order.referenceId ?? null) : undefined;
  } catch (error) {
    if (error instanceof SquareError && error.statusCode === 404) return undefined;
    throw error;
  }
}
