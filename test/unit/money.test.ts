import { formatMoney } from '../../src/engine/money.js';
test('formats cents', () => { expect(formatMoney(875, 'USD')).toBe('$8.75'); });
