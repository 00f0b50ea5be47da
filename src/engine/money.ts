/** Money is integer cents (minor units) everywhere; strings like "$8.75" only at the edges. */
export function formatMoney(cents: number, currency: string): string {
  return new Intl.NumberFormat('en-US', { style: 'currency', currency }).format(cents / 100);
}
