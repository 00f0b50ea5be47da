/**
 * Bolt's ExpressReceiver answers its own refusals with an empty body (`res.status(401).send()`): 401 for a
 * missing, stale or wrong signature, 400 for an unreadable body, 413 for a large one. This middleware, mounted
 * on the Request URL before Bolt, gives those answers the API's JSON error body; everything else Bolt sends
 * (acks, challenges, responses with a body) passes through untouched.
 */
import type { RequestHandler } from 'express';

const ERRORS: Record<number, { code: string; message: string }> = {
  400: { code: 'bad_request', message: 'The request body could not be read as a Slack request' },
  401: { code: 'invalid_signature', message: 'Missing, stale or wrong Slack request signature (X-Slack-Signature, X-Slack-Request-Timestamp)' },
  413: { code: 'payload_too_large', message: 'The request body is too large' },
};

export const slackErrorBodies: RequestHandler = (_req, res, next) => {
  const send = res.send.bind(res);
  res.send = ((body?: unknown) => {
    const error = ERRORS[res.statusCode];
    if (error && (body === undefined || body === '')) return res.type('application/json') && send(JSON.stringify({ error }));
    return send(body);
  }) as typeof res.send;
  next();
};
