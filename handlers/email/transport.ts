/**
 * Where order emails go: SMTP when SMTP_URL is set; otherwise an outbox folder of .eml files (the
 * zero-credential default), each path logged so a person can open the email and click its links.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import nodemailer from 'nodemailer';
import type { Logger } from 'pino';

export interface MailMessage { from: string; to: string; subject: string; text: string; html: string; messageId: string; headers?: Record<string, string> }
export interface MailSender { send(mail: MailMessage): Promise<{ messageId: string; location?: string }> }

export function smtpSender(smtpUrl: string, opts: { timeoutMs?: number } = {}): MailSender {
  const t = opts.timeoutMs ?? 15_000;
  const transport = nodemailer.createTransport(smtpUrl, { connectionTimeout: t, greetingTimeout: t, socketTimeout: t } as never);
  return {
    async send(mail) {
      const info = await transport.sendMail(mail);
      return { messageId: info.messageId };
    },
  };
}

export function outboxSender(dir: string, logger: Logger): MailSender {
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    async send(mail) {
      const info = await transport.sendMail(mail);
      await fs.mkdir(dir, { recursive: true });
      const file = path.join(dir, `${new Date().toISOString().replace(/[:.]/g, '-')}-${mail.messageId.replace(/[^a-zA-Z0-9]/g, '').slice(0, 40)}.eml`);
      // Temp name, then rename: a kill mid-write never leaves a torn .eml.
      await fs.writeFile(`${file}.tmp`, info.message as Buffer);
      await fs.rename(`${file}.tmp`, file);
      logger.info({ file }, 'order email written to the outbox (set SMTP_URL to send it)');
      return { messageId: info.messageId, location: file };
    },
  };
}
