/** A real SMTP server on loopback (smtp-server) whose received emails are parsed with mailparser. */
import { SMTPServer } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';
import type { AddressInfo } from 'node:net';

export interface SmtpSink { url: string; messages: ParsedMail[]; failNext(code: number | null): void; close(): Promise<void> }

export async function startSmtpSink(): Promise<SmtpSink> {
  const messages: ParsedMail[] = [];
  let failCode: number | null = null;
  const server = new SMTPServer({
    authOptional: true, disabledCommands: ['STARTTLS', 'AUTH'], logger: false,
    onData(stream, _session, callback) {
      simpleParser(stream).then((mail) => {
        if (failCode) {
          const err = Object.assign(new Error('mailbox unavailable'), { responseCode: failCode });
          return callback(err);
        }
        messages.push(mail);
        callback();
      }, callback);
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    failNext: (code) => { failCode = code; },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export function confirmLink(mail: ParsedMail, kind: 'confirm' | 'decline' = 'confirm'): string {
  const m = new RegExp(`https?://\\S+/${kind}/[A-Za-z0-9._-]+`).exec(mail.text ?? '');
  if (!m) throw new Error(`no ${kind} link in email`);
  return m[0];
}
