/**
 * A local stand-in for a provider's webhook endpoint (the receiving side), for tests and demos.
 * It checks our signatures with the independent `standardwebhooks` package, so a bug in our signer cannot
 * hide behind the same bug in our verifier, and signs its confirmations with that package too.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

/** confirm: 200 confirmed · accept: 202 then a signed confirmation later · decline: 200 declined · hang: never answers. */
export type ReceiverMode = 'confirm' | 'accept' | 'decline' | 'fail500' | 'fail400' | 'gone' | 'hang';

export interface ReceivedDelivery {
  webhookId: string;
  timestamp: string;
  rawBody: string;
  /** Parsed JSON when the signature checked out, else null. */
  body: unknown;
  verified: boolean;
  /** What the simulator answered. */
  status: number;
}

export interface ConfirmationOverrides {
  status?: 'confirmed' | 'declined';
  orderNumber?: string;
  readyInMinutes?: number;
  reason?: string;
}

export interface WebhookReceiverOptions {
  secret: string;
  mode: ReceiverMode;
  /** Where to POST confirmations; defaults to the `confirm_url` inside each delivery. */
  confirmUrl?: string;
  /** In accept mode, confirm automatically this long after answering 202; otherwise wait for `confirmAsync`. */
  delayMs?: number;
  orderNumberPrefix?: string;
  readyInMinutes?: number;
}

export interface ConfirmationResult { status: number; body: unknown }

export interface WebhookReceiver {
  url: string;
  deliveries(): ReceivedDelivery[];
  uniqueWebhookIds(): string[];
  setMode(mode: ReceiverMode): void;
  /** Sends the provider's signed confirmation for an accepted delivery. */
  confirmAsync(webhookId: string, overrides?: ConfirmationOverrides): Promise<ConfirmationResult>;
  /** Resolves once every automatic (delayMs) confirmation scheduled so far has been sent and answered. */
  settled(): Promise<void>;
  close(): Promise<void>;
}

interface Answer { status: number; json: unknown }

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function headerValue(req: IncomingMessage, name: string): string {
  const value = req.headers[name];
  return (Array.isArray(value) ? value[0] : value) ?? '';
}

function executionIdOf(body: unknown): string | null {
  const data = (body as { data?: { execution_id?: unknown } } | null)?.data;
  return typeof data?.execution_id === 'string' ? data.execution_id : null;
}

function confirmUrlOf(body: unknown): string | null {
  const data = (body as { data?: { confirm_url?: unknown } } | null)?.data;
  return typeof data?.confirm_url === 'string' ? data.confirm_url : null;
}

export async function startWebhookReceiver(opts: WebhookReceiverOptions): Promise<WebhookReceiver> {
  const verifier = new Webhook(opts.secret);
  let mode = opts.mode;
  let orderCounter = 1000;
  const deliveries: ReceivedDelivery[] = [];
  /** First successful answer per webhook-id: a redelivery gets the same answer and no second side effect. */
  const answered = new Map<string, Answer>();
  /** Automatic confirmations not yet answered; each timer maps to the resolver close() uses to release waiters. */
  const scheduled = new Set<Promise<void>>();
  const timers = new Map<NodeJS.Timeout, () => void>();

  const nextOrderNumber = (): string => `${opts.orderNumberPrefix ?? 'WH'}-${++orderCounter}`;

  function deliveryFor(webhookId: string): ReceivedDelivery | undefined {
    return deliveries.find((d) => d.verified && d.webhookId === webhookId);
  }

  async function confirmAsync(webhookId: string, overrides: ConfirmationOverrides = {}): Promise<ConfirmationResult> {
    const delivery = deliveryFor(webhookId);
    if (!delivery) throw new Error(`No verified delivery with webhook-id ${webhookId}`);
    const target = opts.confirmUrl ?? confirmUrlOf(delivery.body);
    if (!target) throw new Error('No confirm URL: pass confirmUrl or include confirm_url in the payload');
    const status = overrides.status ?? 'confirmed';
    const payload = JSON.stringify({
      execution_id: executionIdOf(delivery.body),
      status,
      ...(status === 'confirmed'
        ? { order_number: overrides.orderNumber ?? nextOrderNumber(), ready_in_minutes: overrides.readyInMinutes ?? opts.readyInMinutes ?? 12 }
        : { reason: overrides.reason ?? 'Kitchen closed' }),
    });
    const messageId = `msg_${randomUUID()}`;
    const now = new Date();
    const response = await fetch(target, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'webhook-id': messageId,
        'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
        'webhook-signature': verifier.sign(messageId, now, payload),
      },
      body: payload,
    });
    const text = await response.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // keep the text
    }
    return { status: response.status, body };
  }

  function scheduleConfirmation(webhookId: string): void {
    const { delayMs } = opts;
    if (delayMs === undefined) return;
    const done = new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        confirmAsync(webhookId).then(() => resolve(), () => resolve());
      }, delayMs);
      timers.set(timer, resolve);
    });
    scheduled.add(done);
    void done.then(() => scheduled.delete(done));
  }

  function answerFor(currentMode: ReceiverMode, webhookId: string): Answer | null {
    switch (currentMode) {
      case 'confirm':
        return { status: 200, json: { status: 'confirmed', order_number: nextOrderNumber(), ready_in_minutes: opts.readyInMinutes ?? 12 } };
      case 'accept':
        scheduleConfirmation(webhookId);
        return { status: 202, json: { status: 'accepted' } };
      case 'decline':
        return { status: 200, json: { status: 'declined', reason: 'Kitchen closed' } };
      case 'fail500':
        return { status: 500, json: { error: 'internal error' } };
      case 'fail400':
        return { status: 400, json: { error: 'bad request' } };
      case 'gone':
        return { status: 410, json: { error: 'gone' } };
      case 'hang':
        return null;
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = (await readBody(req)).toString('utf8');
    const webhookId = headerValue(req, 'webhook-id');
    const timestamp = headerValue(req, 'webhook-timestamp');
    let body: unknown = null;
    let verified = false;
    try {
      body = verifier.verify(raw, {
        'webhook-id': webhookId,
        'webhook-timestamp': timestamp,
        'webhook-signature': headerValue(req, 'webhook-signature'),
      });
      verified = true;
    } catch {
      verified = false;
    }

    let answer: Answer | null;
    if (!verified) answer = { status: 401, json: { error: 'invalid signature' } };
    else answer = answered.get(webhookId) ?? answerFor(mode, webhookId);
    deliveries.push({ webhookId, timestamp, rawBody: raw, body, verified, status: answer?.status ?? 0 });
    if (!answer) return; // hang: keep the socket open until the client gives up or close() runs
    if (verified && answer.status >= 200 && answer.status < 300) answered.set(webhookId, answer);
    res.writeHead(answer.status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(answer.json));
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      res.statusCode = 500;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/webhooks/orders`,
    deliveries: () => [...deliveries],
    uniqueWebhookIds: () => [...new Set(deliveries.filter((d) => d.verified).map((d) => d.webhookId))],
    setMode: (next) => {
      mode = next;
    },
    confirmAsync,
    settled: async () => {
      await Promise.all([...scheduled]);
    },
    close: async () => {
      for (const [timer, release] of timers) {
        clearTimeout(timer);
        release();
      }
      timers.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
