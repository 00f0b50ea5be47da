/** EmailHandler: sends the provider a structured order email and waits for its Confirm/Decline click. */
import { ErrorCode, HandlerError, type ActionHandler, type HandlerResult } from '../../src/engine/types.js';
import { EmailIntegrationConfig } from './config.js';
import { renderCancellationEmail, renderOrderEmail } from './template.js';
import type { MailSender } from './transport.js';

export interface EmailHandlerDeps {
  sender: MailSender;
  from: string;
  defaultConfirmTimeoutMinutes: number;
  /** Signed, expiring confirm/decline URLs for an execution (served by the API). */
  links(executionId: string, expiresAt: Date): { confirmUrl: string; declineUrl: string };
}

export function createEmailHandler(deps: EmailHandlerDeps): ActionHandler {
  return {
    name: 'email',
    retryPolicy: { maxAttempts: 3, initialDelayMs: 2000 },
    canHandle(_action, provider, integration) {
      const config = EmailIntegrationConfig.safeParse(integration.config);
      if (!config.success) return { ok: false, reason: 'email integration is misconfigured' };
      return config.data.to ?? provider.contactEmail ? { ok: true } : { ok: false, reason: 'no contact email for this provider' };
    },
    async execute(ctx): Promise<HandlerResult> {
      const config = EmailIntegrationConfig.parse(ctx.integration.config);
      const to = config.to ?? ctx.provider.contactEmail!;
      const timeoutMs = (config.confirmTimeoutMinutes ?? deps.defaultConfirmTimeoutMinutes) * 60_000;
      const expiresAt = new Date(ctx.now().getTime() + timeoutMs);
      const links = deps.links(ctx.execution.id, expiresAt);
      // The number the café and the customer both use (the café may replace it with its own when confirming).
      const orderNumber = await ctx.orderNumber();
      const email = renderOrderEmail(ctx.action, ctx.provider, { ...links, expiresAt, orderNumber });
      // Message-ID from the idempotency key: a re-send after a crash is recognisable as the same email.
      const messageId = `<${ctx.execution.idempotencyKey.replace(/[^a-zA-Z0-9]/g, '.')}.${ctx.execution.attempt}@rouh-actions>`;
      try {
        const sent = await deps.sender.send({ from: deps.from, to, messageId, ...email, headers: { 'X-Rouh-Action-Id': ctx.action.id } });
        return { kind: 'awaiting', externalRef: sent.messageId, timeoutMs, message: `Order emailed to ${ctx.provider.name}; waiting for them to confirm...` };
      } catch (err) {
        throw classifySmtpFailure(err);
      }
    },
    async cancel(ctx) {
      const config = EmailIntegrationConfig.parse(ctx.integration.config);
      const to = config.to ?? ctx.provider.contactEmail;
      if (!to) throw HandlerError.permanent(ErrorCode.Misconfigured, 'no contact email for this provider');
      const email = renderCancellationEmail(ctx.action, ctx.provider, ctx.orderNumber);
      // A stable Message-ID, a reply in the order email's thread: a repeat after a crash is the same email.
      const messageId = `<cancel.${ctx.execution.idempotencyKey.replace(/[^a-zA-Z0-9]/g, '.')}@rouh-actions>`;
      const thread: Record<string, string> = ctx.execution.externalRef ? { 'In-Reply-To': ctx.execution.externalRef, References: ctx.execution.externalRef } : {};
      try {
        await deps.sender.send({ from: deps.from, to, messageId, ...email, headers: { 'X-Rouh-Action-Id': ctx.action.id, ...thread } });
      } catch (err) {
        throw classifySmtpFailure(err);
      }
    },
  };
}

/** 5xx SMTP replies are permanent (bad mailbox); connection problems and 4xx are worth retrying. */
function classifySmtpFailure(err: unknown): HandlerError {
  const e = err as { responseCode?: number; code?: string; message?: string };
  if (e.responseCode && e.responseCode >= 500) return HandlerError.permanent(ErrorCode.BadRequest, `mail server refused the email (${e.responseCode})`);
  return HandlerError.transient(ErrorCode.Unavailable, `mail server unavailable (${e.code ?? e.responseCode ?? 'error'})`);
}
