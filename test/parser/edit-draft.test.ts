// Follow-up messages that edit a chat bot's draft order: editDraft(message, draft, catalog, now).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CatalogSchema, createParser, editDraft, type Catalog, type EditedDraft, type OrderDraft } from '../../src/parser/index.js';

const readCatalog = (name: string): Catalog =>
  CatalogSchema.parse(JSON.parse(readFileSync(path.resolve(process.cwd(), 'test/parser/cases', `catalog-${name}.json`), 'utf8')));
const cafe = readCatalog('cafe'); // America/New_York: NOW is 09:00 local
const sushi = readCatalog('sushi'); // Asia/Tokyo: NOW is 23:00 local
const NOW = new Date('2026-01-15T14:00:00.000Z');

const draft = (...items: [string, number, string[]?][]): OrderDraft => ({
  items: items.map(([sku, quantity, modifications = []]) => ({ sku, quantity, modifications })),
  pickup_time: null,
  customer_name: null,
  special_instructions: null,
});
const lines = (result: EditedDraft): string[] => result.items.map((i) => `${i.quantity}×${i.sku}[${[...i.modifications].sort().join(',')}]`).sort();
const edit = (message: string, current: OrderDraft, catalog: Catalog = cafe): EditedDraft => editDraft(message, current, catalog, NOW);

describe('editDraft', () => {
  it('"make it 3" sets the count of the line being talked about', () => {
    expect(lines(edit('make it 3', draft(['latte', 1])))).toEqual(['3×latte[]']);
    expect(lines(edit('the latte, make it 3', draft(['latte', 1], ['croissant', 1])))).toEqual(['1×croissant[]', '3×latte[]']);
  });

  it('"oat milk on the latte" puts the add-on on that line, not the last one', () => {
    const result = edit('oat milk on the latte', draft(['latte', 2], ['croissant', 1]));
    expect(lines(result)).toEqual(['1×croissant[]', '2×latte[oat-milk]']);
    expect(result.changed).toBe(true);
    expect(lines(edit('make the latte iced', draft(['latte', 2], ['croissant', 1])))).toEqual(['1×croissant[]', '2×latte[iced]']);
  });

  it('"for 9:30" and "name\'s Sam" fill in the time and name and keep the items', () => {
    const timed = edit('for 9:30', draft(['latte', 2]));
    expect(timed.pickup_time).toBe('2026-01-15T14:30:00.000Z');
    expect(lines(timed)).toEqual(['2×latte[]']);
    const named = edit("name's Sam", timed);
    expect(named.customer_name).toBe('Sam');
    expect(named.pickup_time).toBe('2026-01-15T14:30:00.000Z');
    expect(named.intent).toBe('order');
  });

  it('"no croissant" removes the line, "no oat milk" removes the add-on', () => {
    expect(lines(edit('no croissant', draft(['latte', 2], ['croissant', 1])))).toEqual(['2×latte[]']);
    const oat = edit('no oat milk', draft(['latte', 2, ['oat-milk']]));
    expect(lines(oat)).toEqual(['2×latte[]']);
    expect(oat.special_instructions).toBeNull();
  });

  it('"add a muffin" asks which muffin; "add a cookie" adds it', () => {
    const muffin = edit('add a muffin', draft(['latte', 1]));
    expect(lines(muffin)).toEqual(['1×latte[]']);
    expect(muffin.changed).toBe(false);
    expect(muffin.clarification).toBe('Which muffin would you like: Blueberry Muffin or Banana Nut Muffin?');
    expect(lines(edit('add a cookie', draft(['latte', 1])))).toEqual(['1×chocolate-chip-cookie[]', '1×latte[]']);
  });

  it('"actually 2 lattes" and a restated count replace the count instead of adding', () => {
    expect(lines(edit('actually 2 lattes', draft(['latte', 3])))).toEqual(['2×latte[]']);
    expect(lines(edit('3 lattes', draft(['latte', 1], ['croissant', 1])))).toEqual(['1×croissant[]', '3×latte[]']);
    expect(lines(edit('one more latte', draft(['latte', 1])))).toEqual(['2×latte[]']);
  });

  it('swaps one line for another', () => {
    expect(lines(edit('change the croissant to a bagel', draft(['latte', 1], ['croissant', 2])))).toEqual(['1×latte[]', '2×everything-bagel[]']);
  });

  it('adds notes to the notes already there and reports what is not on the menu', () => {
    const start = { ...draft(['latte', 1]), special_instructions: 'no lid' };
    const result = edit('extra hot please, and a matcha latte', start);
    expect(result.special_instructions).toBe('no lid; extra hot');
    expect(result.unrecognized).toEqual(['matcha latte']);
    expect(lines(result)).toEqual(['1×latte[]']);
  });

  it('leaves the draft alone when the message is another request', () => {
    const current = draft(['latte', 2]);
    const cancel = edit('actually cancel', current);
    expect(cancel.intent).toBe('cancel');
    expect(cancel.changed).toBe(false);
    expect(lines(cancel)).toEqual(['2×latte[]']);
    expect(edit('where is my order', current).intent).toBe('status');
  });

  it('works on any catalog and matches the parser built once', () => {
    const current = draft(['dragon-roll', 1]);
    const result = edit('make it 2, w/ brown rice, for 12:30 tomorrow', current, sushi);
    expect(lines(result)).toEqual(['2×dragon-roll[brown-rice]']);
    expect(result.pickup_time).toBe('2026-01-16T03:30:00.000Z');
    expect(createParser(sushi).editDraft('make it 2, w/ brown rice, for 12:30 tomorrow', current, NOW)).toEqual(result);
  });

  it('does not change the draft it was given', () => {
    const current = draft(['latte', 2, ['oat-milk']]);
    const before = JSON.stringify(current);
    edit('no oat milk, make it 3', current);
    expect(JSON.stringify(current)).toBe(before);
  });
});
