/**
 * Slack's Socket Mode server side: single-use connection URLs from apps.connections.open, a `hello` on
 * connect, envelopes (`events_api`, `slash_commands`, `interactive`) with an envelope_id the app must ack
 * with `{envelope_id, payload}`, server pings (the client drops a link that stays silent for 30 s), and
 * `disconnect` messages that make the client reconnect.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';

export type EnvelopeType = 'events_api' | 'slash_commands' | 'interactive';

export interface SocketEnvelope {
  envelope_id: string;
  type: EnvelopeType;
  payload: unknown;
  accepts_response_payload: boolean;
  retry_attempt?: number;
  retry_reason?: string;
}

export interface SocketDelivery {
  envelope: SocketEnvelope;
  /** Whether the app acked before the timeout. */
  acked: boolean;
  /** The app's ack payload (e.g. a slash command's response or view_submission errors). */
  ackPayload?: unknown;
}

const PING_INTERVAL_MS = 10_000;
const PATH = '/link/';

export class SocketModeServer {
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly tickets = new Set<string>();
  private readonly sockets = new Set<WebSocket>();
  private readonly waiting = new Map<string, (payload: unknown) => void>();
  private readonly acks: { envelopeId: string; payload: unknown }[] = [];
  private readonly connectWaiters = new Set<() => void>();
  private nextSocket = 0;
  private readonly pinger: NodeJS.Timeout;

  constructor(private readonly appId: string) {
    this.pinger = setInterval(() => {
      for (const socket of this.sockets) socket.ping();
    }, PING_INTERVAL_MS);
    this.pinger.unref();
  }

  /** A wss-style URL valid for one connection, as apps.connections.open returns. */
  issueUrl(httpBaseUrl: string): string {
    const ticket = randomUUID();
    this.tickets.add(ticket);
    return `${httpBaseUrl.replace(/^http/, 'ws')}${PATH}?ticket=${ticket}&app_id=${this.appId}`;
  }

  /** Takes over the upgrade if it is a Socket Mode connection; false lets the caller refuse it. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const url = new URL(req.url ?? '/', 'http://simulator');
    if (url.pathname !== PATH) return false;
    const ticket = url.searchParams.get('ticket') ?? '';
    if (!this.tickets.delete(ticket)) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n');
      return true;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws));
    return true;
  }

  private accept(ws: WebSocket): void {
    this.sockets.add(ws);
    ws.on('close', () => this.sockets.delete(ws));
    ws.on('error', () => this.sockets.delete(ws));
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      let message: unknown;
      try {
        message = JSON.parse(Buffer.isBuffer(data) ? data.toString('utf8') : String(data));
      } catch {
        return;
      }
      if (typeof message !== 'object' || message === null) return;
      const { envelope_id: envelopeId, payload } = message as { envelope_id?: unknown; payload?: unknown };
      if (typeof envelopeId !== 'string') return;
      this.acks.push({ envelopeId, payload });
      this.waiting.get(envelopeId)?.(payload ?? {});
    });
    ws.send(JSON.stringify({
      type: 'hello',
      num_connections: this.sockets.size,
      debug_info: { host: 'applink-sim', build_number: 1, approximate_connection_time: 18060 },
      connection_info: { app_id: this.appId },
    }));
    for (const resolve of this.connectWaiters) resolve();
    this.connectWaiters.clear();
  }

  connectionCount(): number {
    return [...this.sockets].filter((s) => s.readyState === WebSocket.OPEN).length;
  }

  /** Resolves once at least one client is connected (Bolt's `app.start()` may return before `hello`). */
  waitForConnection(timeoutMs = 5000): Promise<void> {
    if (this.connectionCount() > 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.connectWaiters.delete(done);
        reject(new Error('no Socket Mode connection within the timeout'));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        resolve();
      };
      this.connectWaiters.add(done);
    });
  }

  /** Sends an envelope on one open connection (round robin) and waits for its ack, up to `ackTimeoutMs`. */
  async send(envelope: Omit<SocketEnvelope, 'envelope_id'> & { envelope_id?: string }, ackTimeoutMs: number): Promise<SocketDelivery> {
    const full: SocketEnvelope = { ...envelope, envelope_id: envelope.envelope_id ?? randomUUID() };
    const open = [...this.sockets].filter((s) => s.readyState === WebSocket.OPEN);
    if (open.length === 0) throw new Error('no Socket Mode connection');
    const socket = open[this.nextSocket++ % open.length];
    const acked = new Promise<SocketDelivery>((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(full.envelope_id);
        resolve({ envelope: full, acked: false });
      }, ackTimeoutMs);
      this.waiting.set(full.envelope_id, (payload) => {
        clearTimeout(timer);
        this.waiting.delete(full.envelope_id);
        resolve({ envelope: full, acked: true, ackPayload: payload });
      });
    });
    socket?.send(JSON.stringify(full));
    return acked;
  }

  /** Every ack received, in order (a late ack after a timeout is recorded too). */
  receivedAcks(): { envelopeId: string; payload: unknown }[] {
    return this.acks.map((a) => ({ ...a }));
  }

  /** Asks every client to reconnect, as Slack does when it recycles a host (`refresh_requested`, `warning`, …). */
  requestReconnect(reason = 'refresh_requested'): void {
    for (const socket of this.sockets) socket.send(JSON.stringify({ type: 'disconnect', reason, debug_info: { host: 'applink-sim' } }));
  }

  /** Drops every connection without a word, like a network cut. */
  dropConnections(): void {
    for (const socket of this.sockets) socket.terminate();
    this.sockets.clear();
  }

  /** Says goodbye with a close frame (a client that sees the TCP link vanish logs an error), then cuts stragglers. */
  async close(): Promise<void> {
    clearInterval(this.pinger);
    const closing = [...this.sockets].map((socket) => new Promise<void>((resolve) => {
      if (socket.readyState === WebSocket.CLOSED) return resolve();
      socket.once('close', () => resolve());
      socket.close(1001, 'server shutting down');
    }));
    await Promise.race([Promise.all(closing), new Promise((resolve) => setTimeout(resolve, 500).unref())]);
    this.dropConnections();
    this.wss.close();
  }
}
