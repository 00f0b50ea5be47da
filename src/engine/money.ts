/** Money is integer cents (minor units) everywhere; strings like "$8.75" only at the edges. */
export function formatMoney(cents: number, currency: string): string {
  return moneyFormat(currency).format(cents / 100);
}

// Building an Intl formatter costs far more than formatting with it: one per currency.
const formats = new Map<string, Intl.NumberFormat>();
function moneyFormat(currency: string): Intl.NumberFormat {
  let f = formats.get(currency);
  if (!f) {
    f = new Intl.NumberFormat('en-US', { style: 'currency', currency });
    if (formats.size < 200) formats.set(currency, f);
  }
  return f;
}
