/**
 * Counts the database commands this process sends (the driver's command monitoring), by command and
 * collection: what the benchmark reports as "operations per action". Handshakes and heartbeats are excluded.
 */
import type mongoose from 'mongoose';

const IGNORED = new Set(['hello', 'isMaster', 'ismaster', 'ping', 'buildInfo', 'saslStart', 'saslContinue', 'endSessions', 'listIndexes', 'createIndexes', 'listCollections']);

export interface OpCounter { total(): number; byKey(): Record<string, number>; reset(): void; stop(): void }

export function countOperations(connection: mongoose.Connection): OpCounter {
  const counts = new Map<string, number>();
  const onStarted = (e: { commandName: string; command: Record<string, unknown> }) => {
    if (IGNORED.has(e.commandName)) return;
    const target = e.command[e.commandName];
    const key = `${e.commandName} ${typeof target === 'string' ? target : ''}`.trim();
    counts.set(key, (counts.get(key) ?? 0) + 1);
  };
  const client = connection.getClient();
  client.on('commandStarted', onStarted);
  return {
    total: () => [...counts.values()].reduce((a, b) => a + b, 0),
    byKey: () => Object.fromEntries([...counts].sort((a, b) => b[1] - a[1])),
    reset: () => counts.clear(),
    stop: () => { client.off('commandStarted', onStarted); },
  };
}
