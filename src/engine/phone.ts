/** E.164: '+', a country code that does not start with 0, at most 15 digits. */
const E164 = /^\+[1-9]\d{1,14}$/;

export function isE164(value: unknown): value is string {
  return typeof value === 'string' && E164.test(value);
}

/** For logs and API responses: keeps only the last two digits. */
export function maskPhone(phone: string): string {
  return phone.length <= 4 ? '***' : `${phone.slice(0, 2)}***${phone.slice(-2)}`;
}
