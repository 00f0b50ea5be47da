// The parser is catalog-driven: made-up menus in other time zones parse without code changes.
import { createParser, type Catalog, type ParseResult } from '../../src/parser/index.js';

const taqueria: Catalog = {
  provider: { name: 'La Esquina Taqueria', timezone: 'America/Los_Angeles', currency: 'USD', orderPrefix: 'LE' },
  items: [
    { sku: 'carne-asada-taco', name: 'Carne Asada Taco', aliases: ['asada taco', 'steak taco', 'steak tacos'] },
    { sku: 'al-pastor-taco', name: 'Al Pastor Taco', aliases: ['pastor taco', 'pastor tacos'] },
    { sku: 'fish-taco', name: 'Baja Fish Taco', aliases: ['fish taco', 'fish tacos'] },
    { sku: 'chicken-burrito', name: 'Chicken Burrito', aliases: ['pollo burrito'] },
    { sku: 'bean-burrito', name: 'Bean & Cheese Burrito', aliases: ['bean burrito'] },
    { sku: 'quesadilla', name: 'Quesadilla', aliases: ['cheese quesadilla'] },
    { sku: 'chips-guac', name: 'Chips & Guacamole', aliases: ['chips and guac'] },
    { sku: 'horchata', name: 'Horchata', aliases: [] },
    { sku: 'jarritos', name: 'Jarritos Soda', aliases: ['mexican soda'] },
    { sku: 'churros', name: 'Churros', aliases: ['churro'] },
  ],
  modifiers: [
    { id: 'extra-cheese', name: 'extra cheese', aliases: ['more cheese'] },
    { id: 'no-onions', name: 'no onions', aliases: ['without onions', 'hold the onions'] },
    { id: 'add-guac', name: 'guacamole', aliases: ['guac', 'add guac'] },
    { id: 'spicy', name: 'spicy', aliases: ['extra spicy', 'make it spicy'] },
    { id: 'corn-tortilla', name: 'corn tortilla', aliases: ['on corn'] },
    { id: 'flour-tortilla', name: 'flour tortilla', aliases: ['on flour'] },
    { id: 'sour-cream', name: 'sour cream', aliases: ['crema'] },
    { id: 'large', name: 'large', aliases: ['lg'] },
  ],
};

const bakery: Catalog = {
  provider: { name: 'Crumb & Co', timezone: 'Europe/London', currency: 'GBP', orderPrefix: 'CC' },
  items: [
    { sku: 'sourdough', name: 'Sourdough Loaf', aliases: ['sourdough', 'loaf of sourdough'] },
    { sku: 'sausage-roll', name: 'Sausage Roll', aliases: ['sausage rolls'] },
    { sku: 'pain-au-chocolat', name: 'Pain au Chocolat', aliases: ['pains au chocolat', 'chocolate croissant'] },
    { sku: 'cinnamon-bun', name: 'Cinnamon Bun', aliases: ['cinnamon roll'] },
    { sku: 'scone', name: 'Fruit Scone', aliases: ['scone', 'scones'] },
    { sku: 'flat-white', name: 'Flat White', aliases: [] },
    { sku: 'creme-brulee', name: 'Crème Brûlée Tart', aliases: ['creme brulee'] },
  ],
  modifiers: [
    { id: 'sliced', name: 'sliced', aliases: ['slice it'] },
    { id: 'warmed', name: 'warmed', aliases: ['warm', 'heated'] },
    { id: 'clotted-cream', name: 'clotted cream', aliases: [] },
    { id: 'oat-milk', name: 'oat milk', aliases: ['oat'] },
  ],
};

const lines = (result: ParseResult): string[] =>
  result.items.map((i) => `${i.quantity}×${i.sku}[${i.modifications.join(',')}]`).sort();

describe('taqueria in America/Los_Angeles', () => {
  const parser = createParser(taqueria);
  // 12:00 in Los Angeles (UTC-8 in January).
  const now = new Date('2026-01-15T20:00:00.000Z');
  const parse = (text: string): ParseResult => parser.parse(text, now);

  it('parses items, catalog modifiers that look like notes, and a local pickup time', () => {
    const result = parse('two al pastor tacos on corn, one fish taco, pick up at 6:30pm');
    expect(lines(result)).toEqual(['1×fish-taco[]', '2×al-pastor-taco[corn-tortilla]']);
    expect(result.pickup_time).toBe('2026-01-16T02:30:00.000Z');
  });

  it('treats "no onions" as the catalog modifier, not an instruction', () => {
    const result = parse('chicken burrito with extra cheese and no onions for Marisol');
    expect(lines(result)).toEqual(['1×chicken-burrito[extra-cheese,no-onions]']);
    expect(result.special_instructions).toBeNull();
    expect(result.customer_name).toBe('Marisol');
  });

  it('reads a bare hour as its next occurrence in the provider zone', () => {
    expect(parse('2 churros at 5').pickup_time).toBe('2026-01-16T01:00:00.000Z');
    expect(parse('2 churros at 11').pickup_time).toBe('2026-01-16T07:00:00.000Z');
  });

  it('splits one line into differently modified lines', () => {
    expect(lines(parse('4 pastor tacos, two on flour and two on corn'))).toEqual([
      '2×al-pastor-taco[corn-tortilla]', '2×al-pastor-taco[flour-tortilla]',
    ]);
  });

  it('asks which one for an ambiguous head noun and reports unknown items', () => {
    const burrito = parse('a burrito please');
    expect(burrito.items).toEqual([]);
    expect(burrito.clarification).toContain('Chicken Burrito');

    const tamale = parse('one carne asada taco and a tamale');
    expect(lines(tamale)).toEqual(['1×carne-asada-taco[]']);
    expect(tamale.unrecognized).toEqual(['tamale']);
  });

  it('counts through containers and asks about a bare head noun shared by several items', () => {
    expect(lines(parse('2 orders of churros and a horchata'))).toEqual(['1×horchata[]', '2×churros[]']);
    const tacos = parse('3 tacos');
    expect(tacos.items).toEqual([]);
    expect(tacos.clarification).toBe('Which tacos would you like: Carne Asada Taco, Al Pastor Taco or Baja Fish Taco?');
  });

  it('handles typos, notes and the provider order prefix', () => {
    expect(lines(parse('1 quesadila and 1 horchatta'))).toEqual(['1×horchata[]', '1×quesadilla[]']);
    expect(parse('an elote please, no mayo').special_instructions).toBe('no mayo');
    const status = parse("where's my order LE-2211?");
    expect(status.intent).toBe('status');
    expect(status.orderRef).toBe('LE-2211');
  });
});

describe('bakery in Europe/London', () => {
  const parser = createParser(bakery);
  // 09:30 in London (UTC+0 in March, before the clocks change).
  const now = new Date('2026-03-05T09:30:00.000Z');
  const parse = (text: string): ParseResult => parser.parse(text, now);

  it('parses honorific names, sliced as a modifier and a word time', () => {
    const result = parse('a sourdough loaf, sliced, for Mrs. Patel at half past 10');
    expect(lines(result)).toEqual(['1×sourdough[sliced]']);
    expect(result.customer_name).toBe('Mrs. Patel');
    expect(result.pickup_time).toBe('2026-03-05T10:30:00.000Z');
    expect(result.special_instructions).toBeNull();
  });

  it('matches accented names without accents and keeps unknown things in the customer spelling', () => {
    const result = parse('creme brulee x2 and a bacon bap');
    expect(lines(result)).toEqual(['2×creme-brulee[]']);
    expect(result.unrecognized).toEqual(['bacon bap']);
  });

  it('resolves weekday times across the daylight-saving change', () => {
    // Sunday 29 March 2026 is the first day of British Summer Time (UTC+1).
    expect(parse('3 scones on sunday at 9am').pickup_time).toBe('2026-03-08T09:00:00.000Z');
    expect(parser.parse('3 scones tomorrow at 9am', new Date('2026-03-28T12:00:00.000Z')).pickup_time).toBe('2026-03-29T08:00:00.000Z');
  });

  it('keeps a modifier the note qualifies', () => {
    const result = parse('a flat white with extra oat, extra hot please');
    expect(lines(result)).toEqual(['1×flat-white[oat-milk]']);
    expect(result.special_instructions).toBe('extra oat; extra hot');
  });

  it('summarises with item names from this catalog', () => {
    expect(parse('2 sausage rolls warmed for Tom').summary).toBe('2× Sausage Roll (warmed) — pickup ASAP for Tom');
  });
});
