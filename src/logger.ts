import { pino, type Logger } from 'pino';

/** Paths whose values never reach logs: secrets, phone numbers, emails. */
export const REDACT_PATHS = [
  'req.headers.authorization', 'req.headers.cookie', 'req.headers["x-twilio-signature"]',
  '*.secrets', '*.secret', '*.token', '*.accessToken', '*.apiKey', '*.password',
  '*.customer_phone', '*.customerPhone', '*.phone', '*.to', '*.email', '*.contactEmail',
  'parameters.customer_phone', '*.parameters.customer_phone',
];

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino({ level, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: { service: 'rouh-actions' } }, destination as never);
}
