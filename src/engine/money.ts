/** Money is integer cents (minor units) everywhere; strings like "$8.75" only at the edges. */
const formats = new Map<string, Intl.NumberFormat>();

export function formatMoney(cents: number, currency: string): string {
  // Building an Intl.NumberFormat costs far more than formatting with one (it showed in the engine's CPU profile).
  let format = formats.get(currency);
  if (!format) formats.set(currency, (format = new Intl.NumberFormat('en-US', { style: 'currency', currency })));
  return format.format(cents / 100);
}
