/**
 * Order numbers PREFIX-n. Each n is claimed by one insert (OrderNumberAllocation `${providerId}:${n}`), and an
 * action keeps the first number it got (OrderNumber, one insert on the action id; a retry's claim loses and
 * reads the kept one, leaving a gap). This process remembers where it is per provider, so an allocation is
 * usually two inserts and no read; when other processes allocate too, it probes past their numbers.
 */
import { cachedProvider } from './config-cache.js';
import { insertOnce } from './insert-once.js';
import { OrderNumber, OrderNumberAllocation } from './models.js';

/** The next n this process tries, per provider: taken synchronously, so concurrent steps here never collide. */
const nextToTry = new Map<string, number>();
const numbersOfRecentActions = new Map<string, string>();

async function highestAllocated(providerId: string): Promise<number> {
  const [last, provider] = await Promise.all([
    OrderNumberAllocation.findOne({ providerId }, { n: 1 }).sort({ n: -1 }).lean(),
    cachedProvider(providerId),
  ]);
  return Math.max(last?.n ?? 0, provider?.orderCounter ?? 0);
}

function remember(actionId: string, orderNumber: string): string {
  numbersOfRecentActions.set(actionId, orderNumber);
  if (numbersOfRecentActions.size > 2000) numbersOfRecentActions.delete(numbersOfRecentActions.keys().next().value!);
  return orderNumber;
}

async function claimNumber(providerId: string): Promise<number> {
  if (!nextToTry.has(providerId)) {
    const highest = await highestAllocated(providerId);
    if (!nextToTry.has(providerId)) nextToTry.set(providerId, highest + 1);
  }
  for (let tries = 1; ; tries++) {
    const n = nextToTry.get(providerId)!;
    nextToTry.set(providerId, n + 1);
    if (await insertOnce(OrderNumberAllocation, { _id: `${providerId}:${n}`, providerId, n })) return n;
    if (tries > 1000) throw new Error(`no free order number after ${n}`);
    // Another process is allocating too: after a few misses, jump past the highest number anyone holds.
    if (tries % 8 === 0) nextToTry.set(providerId, Math.max(nextToTry.get(providerId)!, (await highestAllocated(providerId)) + 1));
  }
}

export async function allocateOrderNumber(actionId: string, provider: { id: string; orderPrefix: string }): Promise<string> {
  const known = numbersOfRecentActions.get(actionId);
  if (known) return known;
  const n = await claimNumber(provider.id);
  const mine = `${provider.orderPrefix}-${n}`;
  if (await insertOnce(OrderNumber, { _id: actionId, orderNumber: mine })) return remember(actionId, mine);
  return remember(actionId, (await OrderNumber.findById(actionId).lean())!.orderNumber);
}
