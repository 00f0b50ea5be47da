/**
 * Counts the database commands this process sends (the driver's command monitoring), by command and
 * collection: what the benchmark reports as "operations per action". Handshakes and heartbeats are excluded.
 * Also sums each key's server time (command sent → reply), which shows what grows with history.
 */
import type mongoose from 'mongoose';

const IGNORED = new Set(['hello', 'isMaster', 'ismaster', 'ping', 'buildInfo', 'saslStart', 'saslContinue', 'endSessions', 'listIndexes', 'createIndexes', 'listCollections']);

export interface OpCounter { total(): number; byKey(): Record<string, number>; msByKey(): Record<string, number>; reset(): void; stop(): void }

interface Started { commandName: string; command: Record<string, unknown>; requestId: number }
interface Finished { commandName: string; requestId: number; duration: number }

export function countOperations(connection: mongoose.Connection): OpCounter {
  const counts = new Map<string, number>();
  const millis = new Map<string, number>();
  const keyOf = new Map<number, string>();
  const onStarted = (e: Started) => {
    if (IGNORED.has(e.commandName)) return;
    const target = e.command[e.commandName];
    const key = `${e.commandName} ${typeof target === 'string' ? target : ''}`.trim();
    counts.set(key, (counts.get(key) ?? 0) + 1);
    keyOf.set(e.requestId, key);
  };
  const onFinished = (e: Finished) => {
    const key = keyOf.get(e.requestId);
    if (!key) return;
    keyOf.delete(e.requestId);
    millis.set(key, (millis.get(key) ?? 0) + e.duration);
  };
  const client = connection.getClient();
  client.on('commandStarted', onStarted);
  client.on('commandSucceeded', onFinished);
  client.on('commandFailed', onFinished);
  const sorted = (m: Map<string, number>) => Object.fromEntries([...m].sort((a, b) => b[1] - a[1]));
  return {
    total: () => [...counts.values()].reduce((a, b) => a + b, 0),
    byKey: () => sorted(counts),
    msByKey: () => sorted(millis),
    reset: () => { counts.clear(); millis.clear(); keyOf.clear(); },
    stop: () => { client.off('commandStarted', onStarted); client.off('commandSucceeded', onFinished); client.off('commandFailed', onFinished); },
  };
}
