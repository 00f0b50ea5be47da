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
  if (!client.options.monitorCommands) throw new Error('countOperations needs a connection made with monitorCommands (startService({ monitorCommands: true }))');
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

/** The data commands a server counts in `serverStatus.metrics.commands` (handshakes, heartbeats and admin left out). */
const DATA_COMMANDS = ['insert', 'find', 'update', 'delete', 'findAndModify', 'aggregate', 'count', 'distinct', 'getMore', 'bulkWrite'];

async function serverCommandTotals(connection: mongoose.Connection): Promise<Record<string, number>> {
  const status = await connection.db!.admin().command({ serverStatus: 1 });
  const commands = (status.metrics?.commands ?? {}) as Record<string, { total?: unknown }>;
  return Object.fromEntries(DATA_COMMANDS.map((c) => [c, Number(commands[c]?.total ?? 0)]));
}

/**
 * Counts data commands as the server does (`serverStatus.metrics.commands`, on MongoDB and FerretDB alike): every
 * client of the server is counted, and the connection needs no command monitoring, which costs the process a
 * second decoding of every reply. For a benchmark phase whose only database client is the service.
 */
export async function countServerOperations(connection: mongoose.Connection): Promise<{ stop(): Promise<{ total: number; byCommand: Record<string, number> }> }> {
  const before = await serverCommandTotals(connection);
  return {
    async stop() {
      const after = await serverCommandTotals(connection);
      const byCommand: Record<string, number> = {};
      for (const c of DATA_COMMANDS) if (after[c]! > before[c]!) byCommand[c] = after[c]! - before[c]!;
      return { total: Object.values(byCommand).reduce((a, b) => a + b, 0), byCommand };
    },
  };
}
