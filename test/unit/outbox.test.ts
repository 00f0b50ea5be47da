/** `npm run outbox`: links in quoted-printable emails come out whole; SMS numbers stay masked. */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { outboxSender } from '../../handlers/email/transport.js';
import { formatOutbox, readOutbox } from '../../src/outbox/read.js';

test('emails and SMS are listed oldest first, with decoded Confirm/Decline and order page links', async () => {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'rouh-outbox-'));
  try {
    const token = 'eyJlIjoiNmIwZDQ4YjA3NTY3OWU0MTRiZTdiYjBkOjE6MSIsIngiOjE3OTYwMzMyODkxOTR9.dGhpcy1pcy1hLWxvbmctbWFjLXZhbHVlLWZvci10ZXN0aW5n';
    const confirmUrl = `http://127.0.0.1:3000/confirm/${token}`;
    const declineUrl = `http://127.0.0.1:3000/decline/${token}`;
    await outboxSender(path.join(dataDir, 'outbox', 'email'), pino({ level: 'silent' })).send({
      from: 'Rouh <orders@rouh.local>', to: 'orders@downtown-cafe.example', subject: 'New order DC-1547 — Café',
      text: `Confirm (you can add an order number and ready-in minutes): ${confirmUrl}\nCan't make it? Decline: ${declineUrl}\n`,
      html: `<a href="${confirmUrl}">Confirm order</a>`, messageId: '<m1@rouh.local>',
    });
    const raw = await fs.readFile(path.join(dataDir, 'outbox', 'email', (await fs.readdir(path.join(dataDir, 'outbox', 'email')))[0]!), 'utf8');
    expect(raw).not.toContain(confirmUrl); // why the command exists: quoted-printable breaks long lines with "="
    await new Promise((r) => setTimeout(r, 20));
    await fs.mkdir(path.join(dataDir, 'outbox', 'sms'));
    await fs.writeFile(path.join(dataDir, 'outbox', 'sms', 'm.json'), JSON.stringify({
      to: '+14155550123', body: 'Downtown Café: Order #DC-1547 confirmed! Track it: http://127.0.0.1:3000/o/aw1HBQGKm94qHXzcLTnMIbwdJLA_LPfe1bN0Vw', createdAt: new Date(Date.now() + 1000).toISOString(),
    }));

    const entries = await readOutbox(dataDir);
    expect(entries.map((e) => e.kind)).toEqual(['email', 'sms']);
    expect(entries[0]).toMatchObject({ to: 'orders@downtown-cafe.example', summary: 'New order DC-1547 — Café', links: [{ label: 'Confirm', url: confirmUrl }, { label: 'Decline', url: declineUrl }] });
    expect(entries[1]).toMatchObject({ to: '+1***23', links: [{ label: 'Order page', url: 'http://127.0.0.1:3000/o/aw1HBQGKm94qHXzcLTnMIbwdJLA_LPfe1bN0Vw' }] });
    const text = formatOutbox(entries);
    expect(text).toContain(`    Confirm: ${confirmUrl}\n`);
    expect(text).not.toContain('4155550123');
    expect(await readOutbox(dataDir, 1)).toHaveLength(1);
  } finally {
    await fs.rm(dataDir, { recursive: true, force: true });
  }
});

test('an empty outbox says what to do', async () => {
  expect(formatOutbox(await readOutbox(path.join(os.tmpdir(), 'rouh-no-such-dir')))).toMatch(/outbox is empty/);
});
