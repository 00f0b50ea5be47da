// Hurried chat phrasing, one describe per kind, on made-up catalogs in several time zones and currencies
// (test/parser/cases/catalog-*.json). Every rule here is catalog-driven: no menu word is in the parser.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CatalogSchema, createParser, type ParseResult, type Parser } from '../../src/parser/index.js';

const load = (name: string): Parser =>
  createParser(CatalogSchema.parse(JSON.parse(readFileSync(path.resolve(process.cwd(), 'test/parser/cases', `catalog-${name}.json`), 'utf8'))));

const parsers = {
  cafe: load('cafe'), // America/New_York, USD
  pizza: load('pizza'), // America/Chicago, USD, modifiers with applies_to
  sushi: load('sushi'), // Asia/Tokyo, JPY
  bakery: load('bakery'), // Europe/London, GBP
  bubbleTea: load('bubbletea'), // Australia/Sydney, AUD, offers "regular" as a size
  taqueria: load('taqueria'), // America/Los_Angeles, USD
};
type Menu = keyof typeof parsers;
const { cafe, pizza, bakery, bubbleTea } = parsers;

const NOW = new Date('2026-01-15T14:00:00.000Z');
const lines = (result: ParseResult): string[] => result.items.map((i) => `${i.quantity}×${i.sku}[${[...i.modifications].sort().join(',')}]`).sort();

describe('corrections and removals: the final form counts', () => {
  it.each([
    ['cafe', 'a latte and a muffin, actually no muffin', ['1×latte[]']],
    ['cafe', '2 lattes and a cookie. scratch the cookie', ['2×latte[]']],
    ['pizza', '3 margs — make that 4', ['4×margherita[]']],
    ['pizza', 'a pepperoni and a cannoli, hold on, no cannoli', ['1×pepperoni[]']],
    ['taqueria', '2 churros, scratch that, 4 churros', ['4×churros[]']],
    ['sushi', 'california roll, tuna nigiri, actually no tuna nigiri', ['1×california-roll[]']],
    ['bubbleTea', 'a matcha latte and popcorn chicken, actually no chicken', ['1×matcha-latte[]']],
    ['cafe', '2 flat whites and an espresso. cancel the espresso', ['2×flat-white[]']],
    ['cafe', '2 lattes w oat, nah make that almond', ['2×latte[almond-milk]']],
  ] as const)('%s: %s', (menu: Menu, text, expected) => {
    const result = parsers[menu].parse(text, NOW);
    expect(result.intent).toBe('order');
    expect(lines(result)).toEqual([...expected].sort());
    expect(result.unrecognized).toEqual([]);
    expect(result.special_instructions).toBeNull();
  });

  it('keeps "no X" as a note when X was never ordered', () => {
    expect(pizza.parse('garlic knots x2 and a caesar salad no croutons', NOW).special_instructions).toBe('no croutons');
  });

  it('still cancels when the customer gives up on the whole order', () => {
    expect(cafe.parse('a latte, actually forget it', NOW).intent).toBe('cancel');
    expect(cafe.parse('mango tango pls, nvm', NOW).intent).toBe('cancel');
  });
});

describe('split quantities', () => {
  it.each([
    ['cafe', '6 lattes, 2 of them with oat milk', ['4×latte[]', '2×latte[oat-milk]']],
    ['cafe', 'lattes for the office: 3 skim, 2 oat, 1 normal', ['3×latte[skim-milk]', '2×latte[oat-milk]', '1×latte[]']],
    ['bubbleTea', 'milk teas for the office: 2 pearls, 2 pudding, 1 plain', ['2×classic-milk-tea[pearls]', '2×classic-milk-tea[pudding]', '1×classic-milk-tea[]']],
    ['sushi', 'salmon nigri x4, 2 on brown rice', ['2×salmon-nigiri[]', '2×salmon-nigiri[brown-rice]']],
    ['sushi', '2 dragon rolls w spicy mayo, 1 w/o', ['1×dragon-roll[spicy-mayo]', '1×dragon-roll[]']],
    ['taqueria', 'tacos for the crew: 2 asada, 2 pastor, 1 fish', ['2×carne-asada-taco[]', '2×al-pastor-taco[]', '1×fish-taco[]']],
    ['pizza', 'can we get 3 large pizzas - 2 pepperoni 1 veggie', ['2×pepperoni[large]', '1×veggie[large]']],
    ['cafe', '2 lattes with oat, 1 with almond', ['1×latte[oat-milk]', '1×latte[almond-milk]']],
    ['cafe', 'an oat flat white and an almond one', ['1×flat-white[oat-milk]', '1×flat-white[almond-milk]']],
    ['cafe', '3 bagels toasted, 1 not', ['2×everything-bagel[toasted]', '1×everything-bagel[]']],
  ] as const)('%s: %s', (menu: Menu, text, expected) => {
    const result = parsers[menu].parse(text, NOW);
    expect(lines(result)).toEqual([...expected].sort());
    expect(result.unrecognized).toEqual([]);
    expect(result.clarification).toBeNull();
  });

  it('offers "regular" as a size where the catalog sells it', () => {
    expect(lines(bubbleTea.parse('a reg thai tea 50% sugar less ice', NOW))).toEqual(['1×thai-tea[less-ice,regular,sugar-50]']);
  });
});

describe('words that do not change the item', () => {
  it.each([
    ['cafe', 'tall latte', ['1×latte[]']],
    ['cafe', 'grande mocha w whip', ['1×mocha[whipped-cream]']],
    ['cafe', 'a regular latte and a normal cappuccino', ['1×latte[]', '1×cappuccino[]']],
    ['sushi', 'a large ramune', ['1×ramune[]']],
    ['cafe', 'larg iced caramel latte', ['1×latte[caramel,iced,large]']],
  ] as const)('%s: %s', (menu: Menu, text, expected) => {
    const result = parsers[menu].parse(text, NOW);
    expect(lines(result)).toEqual([...expected].sort());
    expect(result.unrecognized).toEqual([]);
  });

  it('reports an option the catalog does not offer and keeps the item', () => {
    const result = cafe.parse('latte with soy milk', NOW);
    expect(lines(result)).toEqual(['1×latte[]']);
    expect(result.unrecognized).toEqual(['soy milk']);
  });
});

describe('abbreviations, misspellings and other names', () => {
  it.each([
    ['cafe', 'dcaf cap', ['1×cappuccino[decaf]']],
    ['cafe', 'hot choc', ['1×hot-chocolate[]']],
    ['cafe', 'sm drip + lg americano', ['1×drip-coffee[small]', '1×americano[large]']],
    ['cafe', '2 expresso', ['2×espresso[]']],
    ['cafe', 'pain au choc and a flat white w/ almond', ['1×chocolate-croissant[]', '1×flat-white[almond-milk]']],
    ['pizza', 'chips and a coke', ['1×fries[]', '1×coke[]']],
    ['pizza', '2 pep, 1 hawaiin, 1 gf veggie', ['2×pepperoni[]', '1×hawaiian[]', '1×veggie[gluten-free]']],
    ['taqueria', 'chkn burrito w sour cream + a horchata', ['1×chicken-burrito[sour-cream]', '1×horchata[]']],
    ['sushi', 'salmon avo roll', ['1×salmon-avocado-roll[]']],
  ] as const)('%s: %s', (menu: Menu, text, expected) => {
    const result = parsers[menu].parse(text, NOW);
    expect(lines(result)).toEqual([...expected].sort());
    expect(result.unrecognized).toEqual([]);
  });

  it('never guesses a short form that could mean two items', () => {
    // "choc" alone could be the hot chocolate, the chocolate croissant or the cookie.
    const result = cafe.parse('2 choc please', NOW);
    expect(result.items).toEqual([]);
  });
});

describe('intents phrased as questions or indirectly', () => {
  it.each([
    ['cafe', 'did my order go through', 'status'],
    ['pizza', 'hows it looking', 'status'],
    ['cafe', 'any news on DC-12?', 'status'],
    ['bubbleTea', 'did it go through?', 'status'],
    ['cafe', 'do you have pastries?', 'menu'],
    ['pizza', 'what pizzas have you got', 'menu'],
    ['bakery', 'what cakes have you got', 'menu'],
    ['cafe', 'nvm', 'cancel'],
    ['cafe', 'forget it', 'cancel'],
    ['bakery', "I can't make it today sorry", 'cancel'],
    ['cafe', 'how does this work', 'help'],
    ['cafe', 'what do I type to order', 'help'],
  ] as const)('%s: %s → %s', (menu: Menu, text, intent) => {
    const result = parsers[menu].parse(text, NOW);
    expect(result.intent).toBe(intent);
    expect(result.items).toEqual([]);
    expect(result.unrecognized).toEqual([]);
  });
});

describe('instructions that look like items, and sign-offs', () => {
  it.each([
    ['pizza', '2 large pepperoni, 1 marg, cut into 8 slices', 'cut into 8 slices'],
    ['sushi', 'dragon roll, write the names on the boxes', 'write the names on the boxes'],
    ['bakery', 'a victoria sponge, write happy birthday on top, for Mia at 4pm', 'write happy birthday on top'],
    ['cafe', '2 lattes, not too hot', 'not too hot'],
    ['cafe', 'an egg and cheese, not toasted', 'not toasted'],
  ] as const)('%s: %s', (menu: Menu, text, note) => {
    const result = parsers[menu].parse(text, NOW);
    expect(result.special_instructions).toContain(note);
    expect(result.unrecognized).toEqual([]);
    expect(result.items.length).toBeGreaterThan(0);
  });

  it('keeps "put Sam on the cup" as a name', () => {
    const result = cafe.parse('a latte, put Sam on the cup', NOW);
    expect(result.customer_name).toBe('Sam');
  });

  it.each(['ta', 'cheers', 'thx', 'ty!'])('"%s" alone is nothing', (text) => {
    expect(cafe.parse(text, NOW).intent).toBe('unknown');
  });

  it('ignores a sign-off after an order', () => {
    const result = bakery.parse('brownie and a cuppa ta', NOW);
    expect(lines(result)).toEqual(['1×brownie[]', '1×tea[]']);
    expect(result.unrecognized).toEqual([]);
  });
});

describe('modifiers that belong to one item only', () => {
  it('reads a clipped add-on before an item sold in varieties as an unknown variety (no applies_to)', () => {
    const result = cafe.parse('an almond croissant and a latte', NOW);
    expect(lines(result)).toEqual(['1×latte[]']);
    expect(result.unrecognized).toEqual(['almond croissant']);
    // …while "oat latte" is still a latte with oat milk.
    expect(lines(cafe.parse('an oat latte', NOW))).toEqual(['1×latte[oat-milk]']);
  });

  it('follows applies_to: a variety before the item, an unavailable add-on after it', () => {
    const soy = bakery.parse('a soy croissant', NOW);
    expect(soy.items).toEqual([]);
    expect(soy.unrecognized).toEqual(['soy croissant']);
    const boba = bubbleTea.parse('popcorn chicken w boba', NOW);
    expect(lines(boba)).toEqual(['1×popcorn-chicken[]']);
    expect(boba.unrecognized).toEqual(['boba']);
  });

  it('drops a size the item does not come in without complaint', () => {
    const result = pizza.parse('a large pepperoni and large fries', NOW);
    expect(lines(result)).toEqual(['1×fries[]', '1×pepperoni[large]']);
    expect(result.unrecognized).toEqual([]);
  });

  it('accepts catalogs without applies_to and rejects a malformed one', () => {
    expect(() => CatalogSchema.parse({ provider: { timezone: 'UTC' }, items: [{ sku: 'a', name: 'A' }], modifiers: [{ id: 'm', name: 'M' }] })).not.toThrow();
    expect(() => CatalogSchema.parse({ provider: { timezone: 'UTC' }, items: [{ sku: 'a', name: 'A' }], modifiers: [{ id: 'm', name: 'M', applies_to: 'a' }] })).toThrow();
  });
});
