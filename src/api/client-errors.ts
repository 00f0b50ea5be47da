/**
 * Requests Node's HTTP parser refuses before Express sees them (a control character in a header, a malformed
 * request line, a request that did not arrive within REQUEST_TIMEOUT_MS) get the same JSON error shape as the
 * rest of the API instead of Node's bare text answer.
 */
import type { Socket } from 'node:net';

export function answerClientError(err: NodeJS.ErrnoException, socket: Socket): void {
  if (!socket.writable || (err.code === 'ECONNRESET')) return void socket.destroy();
  const timedOut = err.code === 'ERR_HTTP_REQUEST_TIMEOUT';
  const [status, reason, code, message] = timedOut
    ? [408, 'Request Timeout', 'request_timeout', 'The request did not arrive in time']
    : err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'Request Header Fields Too Large', 'headers_too_large', 'Request headers are too large']
      : [400, 'Bad Request', 'malformed_request', 'The request is not valid HTTP/1.1'];
  const body = JSON.stringify({ error: { code, message } });
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}
