/** The admission gate refuses (503 + Retry-After, nothing run) when too busy or behind, within its time bound. */
import { AdmissionGate } from '../../src/engine/admission.js';
import { OverloadedError } from '../../src/engine/errors.js';

const settings = { maxConcurrent: 1, maxOverdue: 10, overdueAfterMs: 1000, timeoutMs: 200 };
const never = () => new Promise<never>(() => undefined);

test('admits and runs the create when there is room', async () => {
  const gate = new AdmissionGate(settings, async () => 0);
  await expect(gate.admit(async () => 'created')).resolves.toBe('created');
});

test('a create that finds every slot taken for the whole timeout is refused and never runs', async () => {
  const gate = new AdmissionGate(settings, async () => 0);
  let release!: () => void;
  const first = gate.admit(() => new Promise<string>((r) => { release = () => r('first'); }));
  await new Promise((r) => setTimeout(r, 10));
  let ran = false;
  const refused = await gate.admit(async () => { ran = true; }).catch((e: unknown) => e);
  expect(refused).toBeInstanceOf(OverloadedError);
  expect(refused).toMatchObject({ status: 503, code: 'overloaded', retryAfterSeconds: 1 });
  expect(ran).toBe(false);
  release();
  await expect(first).resolves.toBe('first');
  await expect(gate.admit(async () => 'after')).resolves.toBe('after'); // the slot came back
});

test('a waiting create gets the slot as soon as it frees', async () => {
  const gate = new AdmissionGate({ ...settings, timeoutMs: 5000 }, async () => 0);
  let release!: () => void;
  const first = gate.admit(() => new Promise<void>((r) => { release = r; }));
  await new Promise((r) => setTimeout(r, 10));
  const second = gate.admit(async () => 'second');
  release();
  await first;
  await expect(second).resolves.toBe('second');
});

test('a queue too far behind refuses new work', async () => {
  const gate = new AdmissionGate(settings, async (_ms, atMost) => atMost);
  const refused = await gate.admit(async () => 'x').catch((e: unknown) => e);
  expect(refused).toMatchObject({ status: 503, code: 'overloaded' });
  expect((refused as OverloadedError).retryAfterSeconds).toBeGreaterThan(0);
});

test('a database that does not answer the queue check in time refuses instead of hanging', async () => {
  const gate = new AdmissionGate(settings, never);
  let ran = false;
  await expect(gate.admit(async () => { ran = true; })).rejects.toBeInstanceOf(OverloadedError);
  expect(ran).toBe(false);
});
