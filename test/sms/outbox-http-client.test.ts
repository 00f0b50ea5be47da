import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import twilio from 'twilio';
import { createOutboxHttpClient } from '../../src/notify/sms/outbox-http-client.js';
import { InMemorySmsStore } from '../../src/notify/sms/store.js';
import { createSmsNotifier } from '../../src/notify/sms/twilio-notifier.js';
import { ACCOUNT_SID, FROM, action, completedEvent, notifyContext, silentLogger } from './fixtures.js';

describe('SMS outbox (zero-credential default)', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'sms-outbox-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('the real SDK "sends" into a JSON file: masked number in the name, full message inside', async () => {
    const client = twilio(ACCOUNT_SID, 'outbox', { httpClient: createOutboxHttpClient(path.join(dir, 'outbox')) });
    const store = new InMemorySmsStore();
    const a = action();
    const event = completedEvent();
    await createSmsNotifier({ client, from: FROM, store, logger: silentLogger }).notify(event, notifyContext(a, event));

    const files = await readdir(path.join(dir, 'outbox'));
    expect(files).toHaveLength(1);
    const [file] = files;
    expect(file).toMatch(/-SM[0-9a-f]{32}-to-1xxx67\.json$/);
    expect(file).not.toContain('5551234567');
    const content = JSON.parse(await readFile(path.join(dir, 'outbox', file ?? ''), 'utf8')) as Record<string, unknown>;
    expect(content).toMatchObject({ to: '+15551234567', from: FROM, body: 'Downtown Café: Order #DC-1547 confirmed, ready in 12 minutes!', status: 'queued', accountSid: ACCOUNT_SID });
    expect(store.peek(notifyContext(a, event).dedupeKey)).toMatchObject({ state: 'sent', sid: content.sid });
  });

  test('answers like Twilio: the SDK returns a queued message resource', async () => {
    const client = twilio(ACCOUNT_SID, 'outbox', { httpClient: createOutboxHttpClient(dir) });
    const message = await client.messages.create({ to: '+15550009999', from: FROM, body: 'hello' });
    expect(message.sid).toMatch(/^SM[0-9a-f]{32}$/);
    expect(message.status).toBe('queued');
    expect(message.to).toBe('+15550009999');
    expect(message.dateCreated).toBeInstanceOf(Date);
  });

  test('lists what it wrote (the exactly-once lookup works on the outbox too), written whole: no temp file left', async () => {
    const client = twilio(ACCOUNT_SID, 'outbox', { httpClient: createOutboxHttpClient(dir) });
    const before = new Date(Date.now() - 1000);
    const sent = await client.messages.create({ to: '+15550008888', from: FROM, body: 'one' });
    await client.messages.create({ to: '+15550007777', from: FROM, body: 'other' });
    const listed = await client.messages.list({ to: '+15550008888', dateSentAfter: before, limit: 50 });
    expect(listed.map((m) => [m.sid, m.body])).toEqual([[sent.sid, 'one']]);
    expect((await readdir(dir)).filter((f) => !f.endsWith('.json'))).toEqual([]);
  });
});
