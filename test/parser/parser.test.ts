// Hard cases for the chat parser against the evaluation café catalog (America/New_York).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { CatalogSchema, createParser, type ParseResult } from '../../src/parser/index.js';

// A copy of ../shared/eval/catalog-cafe.json, so these tests don't depend on the eval folder being present.
const catalogPath = path.resolve(process.cwd(), 'test/fixtures/catalog-cafe.json');
if (!existsSync(catalogPath)) throw new Error(`café catalog not found at ${catalogPath}; run jest from the repo root`);
const parser = createParser(CatalogSchema.parse(JSON.parse(readFileSync(catalogPath, 'utf8'))));

// 09:00 in New York (UTC-5 in January).
const NOW = new Date('2026-01-15T14:00:00.000Z');
const parse = (text: string, now = NOW): ParseResult => parser.parse(text, now);
const lines = (text: string): string[] =>
  parse(text).items.map((i) => `${i.quantity}×${i.sku}[${i.modifications.join(',')}]`).sort();

describe('modifier attachment in multi-item messages', () => {
  it('keeps a "with" modifier on the item before it', () => {
    expect(lines('a latte with oat milk and a cappuccino')).toEqual(['1×cappuccino[]', '1×latte[oat-milk]']);
  });

  it('gives leading modifiers to the item they precede', () => {
    expect(lines('a large latte with oat milk, a small cappuccino and a warmed blueberry muffin')).toEqual([
      '1×blueberry-muffin[warmed]', '1×cappuccino[small]', '1×latte[large,oat-milk]',
    ]);
  });

  it('keeps same-sku lines apart when their modifiers differ, and merges identical ones', () => {
    expect(lines('one oat latte and one almond latte')).toEqual(['1×latte[almond-milk]', '1×latte[oat-milk]']);
    expect(lines('a latte and another latte')).toEqual(['2×latte[]']);
  });

  it('splits "two lattes, one with oat milk and one with almond milk"', () => {
    expect(lines('two lattes, one with oat milk and one with almond milk')).toEqual(['1×latte[almond-milk]', '1×latte[oat-milk]']);
  });

  it('gives "both"/"all" modifiers to several lines', () => {
    expect(lines('a cappuccino and a latte, both with oat milk')).toEqual(['1×cappuccino[oat-milk]', '1×latte[oat-milk]']);
    expect(lines('3 bagels, 2 toasted')).toEqual(['1×everything-bagel[]', '2×everything-bagel[toasted]']);
  });

  it('attaches trailing modifiers after a comma or in parentheses', () => {
    expect(lines('an everything bagel, toasted')).toEqual(['1×everything-bagel[toasted]']);
    expect(lines('2 flat whites, 1 chocolate croissant (warmed)')).toEqual(['1×chocolate-croissant[warmed]', '2×flat-white[]']);
  });
});

describe('quantities', () => {
  it.each([
    ['twelve cookies', '12×chocolate-chip-cookie[]'],
    ['a dozen cookies', '12×chocolate-chip-cookie[]'],
    ['half a dozen blueberry muffins', '6×blueberry-muffin[]'],
    ['a couple of green teas', '2×green-tea[]'],
    ['five espressos', '5×espresso[]'],
    ['latte x2', '2×latte[]'],
    ['3x mocha', '3×mocha[]'],
  ])('%s', (text, expected) => {
    expect(lines(text)).toEqual([expected]);
  });

  it('applies corrections in their final form', () => {
    expect(lines('2 lattes, actually make that 3')).toEqual(['3×latte[]']);
    expect(lines('4 croissants, no wait, 6')).toEqual(['6×croissant[]']);
    expect(lines('a latte, actually a cappuccino instead')).toEqual(['1×cappuccino[]']);
  });

  it('does not read sizes like "12oz" or times like "at 10" as quantities', () => {
    expect(lines('12oz latte at 10')).toEqual(['1×latte[small]']);
  });
});

describe('pickup time in the provider time zone', () => {
  it.each([
    ['a latte in 15 minutes', '2026-01-15T14:15:00.000Z'],
    ['a latte in half an hour', '2026-01-15T14:30:00.000Z'],
    ['a latte at 9:30', '2026-01-15T14:30:00.000Z'],
    ['a latte at noon', '2026-01-15T17:00:00.000Z'],
    ['a latte at 14:30', '2026-01-15T19:30:00.000Z'],
    ['a latte at 10', '2026-01-15T15:00:00.000Z'], // bare hour still ahead today
    ['a latte at 8', '2026-01-16T01:00:00.000Z'], // 8 AM has passed, so 8 PM
    ['a latte at quarter past ten', '2026-01-15T15:15:00.000Z'],
    ['tomorrow at 7:45am: 2 cappuccinos', '2026-01-16T12:45:00.000Z'],
    ['a latte on friday at 8am', '2026-01-16T13:00:00.000Z'],
  ])('%s', (text, expected) => {
    expect(parse(text).pickup_time).toBe(expected);
  });

  it('returns null when no time is given or asap is asked for', () => {
    expect(parse('2 lattes please').pickup_time).toBeNull();
    expect(parse('2 lattes asap').pickup_time).toBeNull();
  });

  it('resolves a bare hour relative to a different now', () => {
    // 17:30 in New York: "at 5" is next at 05:00 the following morning.
    expect(parse('a latte at 5', new Date('2026-01-15T22:30:00.000Z')).pickup_time).toBe('2026-01-16T10:00:00.000Z');
  });
});

describe('typos', () => {
  it('corrects misspellings to the right item', () => {
    expect(lines('a croisant and a cappucino')).toEqual(['1×cappuccino[]', '1×croissant[]']);
    expect(lines('hot choclate with whipped cream')).toEqual(['1×hot-chocolate[whipped-cream]']);
    expect(lines('an expresso please')).toEqual(['1×espresso[]']);
  });

  it('does not turn a bare "muffin" into one of the two muffins', () => {
    const result = parse('a muffin please');
    expect(result.items).toEqual([]);
    expect(result.clarification).toMatch(/Blueberry Muffin.*Banana Nut Muffin/);
    expect(lines('a blueberry mufin and a banana nut muffin')).toEqual(['1×banana-nut-muffin[]', '1×blueberry-muffin[]']);
  });
});

describe('customer name', () => {
  it.each([
    ['a latte for Sam', 'Sam'],
    ["a mocha. Name's Priya.", 'Priya'],
    ["one large americano. it's for Dr. Lee", 'Dr. Lee'],
    ['Sam here! a medium chai please', 'Sam'],
    ['2 turkey sandwiches for Anne-Marie, pick up at 12', 'Anne-Marie'],
    ['2 iced lattes, name is José', 'José'],
  ])('%s -> %s', (text, expected) => {
    expect(parse(text).customer_name).toBe(expected);
  });

  it('does not take recipients for names', () => {
    for (const text of ['a latte for my boss', '3 hot chocolates for the kids', 'a latte for here', 'a latte for tomorrow at 8am']) {
      const result = parse(text);
      expect(result.customer_name).toBeNull();
      expect(result.unrecognized).toEqual([]);
    }
  });
});

describe('instructions and unrecognized requests', () => {
  it('keeps notes apart from catalog modifiers', () => {
    const result = parse('an iced americano, light ice');
    expect(lines('an iced americano, light ice')).toEqual(['1×americano[iced]']);
    expect(result.special_instructions).toContain('light ice');
    expect(parse('a cappuccino, no foam').special_instructions).toBeNull();
    expect(parse('a latte, no lid please').special_instructions).toBe('no lid');
  });

  it('does not report everyday words in an order as unknown items', () => {
    for (const text of ['Hey team! Can I get a latte when you get a chance?', 'latte pls, paying at pickup', 'Hi! First time ordering — a flat white please']) {
      expect(parse(text).unrecognized).toEqual([]);
    }
  });

  it('reports unknown items and add-ons but keeps known items', () => {
    const frappe = parse('unicorn frappe please');
    expect(frappe.intent).toBe('order');
    expect(frappe.unrecognized).toEqual(['unicorn frappe']);
    expect(frappe.clarification).toContain('unicorn frappe');

    const soy = parse('a latte with soy milk');
    expect(lines('a latte with soy milk')).toEqual(['1×latte[]']);
    expect(soy.unrecognized).toEqual(['soy milk']);

    const matcha = parse('a matcha latte and a blueberry muffin');
    expect(matcha.items.map((i) => i.sku)).toEqual(['blueberry-muffin']);
    expect(matcha.unrecognized.join(' ')).toContain('matcha');
  });
});

describe('chat noise', () => {
  it.each([
    '<@U024BE7LH> *2* lattes',
    '/order 2 lattes',
    '/order@DowntownCafeBot 2 lattes :coffee:',
    '☕️ _2 lattes_ 🙏',
    '<#C024BE7LH|orders> `2 lattes`',
  ])('%s', (text) => {
    const result = parse(text);
    expect(result.intent).toBe('order');
    expect(lines(text)).toEqual(['2×latte[]']);
    expect(result.unrecognized).toEqual([]);
  });
});

describe('intents', () => {
  it.each([
    ['/status', 'status'],
    ['is order DC-0317 ready?', 'status'],
    ['is my latte ready yet?', 'status'],
    ['cancel order DC-1042', 'cancel'],
    ['what pastries do you have?', 'menu'],
    ['how much is a latte?', 'menu'],
    ['how do I order?', 'help'],
    ['/start', 'help'],
    ['thanks!', 'unknown'],
    ["what's the wifi password?", 'unknown'],
  ])('%s -> %s', (text, intent) => {
    const result = parse(text);
    expect(result.intent).toBe(intent);
    expect(result.items).toEqual([]);
  });

  it('puts the order reference on status requests', () => {
    expect(parse('any update on DC-1042?').orderRef).toBe('DC-1042');
  });

  it('summarises an order in one line', () => {
    expect(parse('2 lattes with oat milk and a croissant at 9:15 for Sam').summary).toBe(
      '2× Latte (oat milk), 1× Butter Croissant — pickup 9:15 AM for Sam',
    );
  });
});
