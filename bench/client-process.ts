/**
 * The bench's outside world in its own process, as in production: the customers' submitters and the café's
 * Square (simulator). In the service's process they cost 1.2–2 ms of CPU per action on its main thread, which the
 * service alone has in production. Driven by bench/queue-latency.ts over IPC (its `client`).
 */
import { startSquareSimulator, type SquareSimulator, type SquareSimulatorOptions } from '../handlers/square/simulator.js';

export type ClientRequest =
  | { kind: 'start-square'; options: SquareSimulatorOptions }
  | { kind: 'stop-square' }
  | { kind: 'run'; url: string; apiKey: string; body: string; concurrency: number; n: number; paced: boolean; deadline: number }
  | { kind: 'completed'; actionId: string };

/** Times are epoch milliseconds with sub-millisecond precision (performance.timeOrigin + now), comparable across processes. */
export interface Submission { id: string; submittedAt: number; respondedAt: number }
export type ClientReply =
  | { kind: 'square'; baseUrl: string; accessToken: string }
  | { kind: 'square-stopped'; orders: number }
  | { kind: 'ran'; submissions: Submission[]; errors: number; cpuMs: number };

const now = () => performance.timeOrigin + performance.now();
const send = (reply: ClientReply) => process.send!(reply);
let square: SquareSimulator | null = null;
const completed = new Set<string>();
const waiters = new Map<string, () => void>();

async function run(r: Extract<ClientRequest, { kind: 'run' }>): Promise<void> {
  const cpu0 = process.cpuUsage();
  const submissions: Submission[] = [];
  let errors = 0;
  const submitOne = async () => {
    const submittedAt = now();
    const res = await fetch(r.url, { method: 'POST', body: r.body, headers: { authorization: `Bearer ${r.apiKey}`, 'x-user-id': 'bench', 'content-type': 'application/json' } });
    if (res.status !== 201) { errors++; await res.text(); return; }
    const id = ((await res.json()) as { action: { id: string } }).action.id;
    submissions.push({ id, submittedAt, respondedAt: now() });
    // Paced: the next submission waits for this action's completion (the service's process reports it).
    if (r.paced && !completed.has(id)) {
      await new Promise<void>((resolve) => {
        waiters.set(id, resolve);
        setTimeout(resolve, Math.max(0, r.deadline - Date.now()));
      });
    }
  };
  let next = 0;
  await Promise.all(Array.from({ length: r.paced ? 1 : r.concurrency }, async () => {
    while (next < r.n && Date.now() < r.deadline) { next++; await submitOne().catch(() => { errors++; }); }
  }));
  const cpu = process.cpuUsage(cpu0);
  send({ kind: 'ran', submissions, errors, cpuMs: (cpu.user + cpu.system) / 1000 });
}

process.on('message', (m: ClientRequest) => {
  void (async () => {
    if (m.kind === 'start-square') {
      square = await startSquareSimulator(m.options);
      send({ kind: 'square', baseUrl: square.baseUrl, accessToken: square.accessToken });
    } else if (m.kind === 'stop-square') {
      const orders = square?.orders().length ?? 0;
      await square?.close();
      square = null;
      send({ kind: 'square-stopped', orders });
    } else if (m.kind === 'completed') {
      completed.add(m.actionId);
      waiters.get(m.actionId)?.();
      waiters.delete(m.actionId);
    } else if (m.kind === 'run') {
      completed.clear();
      await run(m);
    }
  })();
});
process.on('disconnect', () => process.exit(0));
