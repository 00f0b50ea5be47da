// Unit tests for the parser's building blocks: noise stripping, typo distance, zone clock, catalog schema.
import { CatalogSchema } from '../../src/parser/catalog.js';
import { allowedEdits, consonantSkeleton, createAbbreviationMatcher, createWordCorrector, editDistance } from '../../src/parser/fuzzy.js';
import { normalizeMessage } from '../../src/parser/normalize.js';
import { FoldedText } from '../../src/parser/text.js';
import { createZoneClock } from '../../src/parser/zone.js';

describe('normalizeMessage', () => {
  it('strips Slack mentions, channels, emoji and markdown', () => {
    expect(normalizeMessage('<@U024BE7LH> <#C1|orders> *2* _lattes_ :coffee: ☕️ please').text).toBe('2 lattes please');
  });

  it('keeps times that look like emoji codes', () => {
    expect(normalizeMessage('tomorrow at 7:45am: 2 cappuccinos').text).toBe('tomorrow at 7:45am: 2 cappuccinos');
  });

  it('reads Telegram commands with or without a bot suffix', () => {
    expect(normalizeMessage('/order@DowntownCafeBot a flat white')).toEqual({ text: 'a flat white', command: 'order' });
    expect(normalizeMessage('/status')).toEqual({ text: '', command: 'status' });
  });

  it('decodes Slack HTML entities', () => {
    expect(normalizeMessage('1 turkey &amp; swiss').text).toBe('1 turkey & swiss');
  });
});

describe('FoldedText', () => {
  it('folds accents but reports spans in the original spelling', () => {
    const text = new FoldedText('Crème Brûlée for José');
    expect(text.value).toBe('creme brulee for jose');
    expect(text.originalSlice(17, 21)).toBe('José');
    expect(text.isCapitalAt(17)).toBe(true);
  });
});

describe('typo correction', () => {
  it('measures transpositions as one edit', () => {
    expect(editDistance('bagle', 'bagel')).toBe(1);
    expect(editDistance('cappucino', 'cappuccino')).toBe(1);
  });

  it('leaves short words alone and refuses ties', () => {
    expect(allowedEdits(4)).toBe(0);
    const correct = createWordCorrector(['latte', 'croissant', 'cappuccino', 'drip', 'small']);
    expect(correct('croisant')).toBe('croissant');
    expect(correct('drop')).toBeNull();
    expect(correct('toffee')).toBeNull();
    expect(createWordCorrector(['bakes', 'bikes'])('bokes')).toBeNull();
  });
});

describe('short forms', () => {
  const expand = createAbbreviationMatcher(['cappuccino', 'caramel', 'chocolate', 'chocolat', 'decaf', 'chicken', 'large', 'pepperoni']);

  it('expands prefixes of three letters or more, keeping every candidate', () => {
    expect(expand('cap')).toEqual(['cappuccino']);
    expect(expand('larg')).toEqual(['large']);
    expect(expand('choc')).toEqual(['chocolate', 'chocolat']);
    expect(expand('ca')).toEqual([]);
  });

  it('expands words typed without their vowels when the consonant outline is the same', () => {
    expect(consonantSkeleton('chicken')).toBe('chkn');
    expect(expand('dcaf')).toEqual(['decaf']);
    expect(expand('chkn')).toEqual(['chicken']);
    expect(expand('chk')).toEqual([]);
  });
});

describe('createZoneClock', () => {
  it('converts wall-clock times across a DST change', () => {
    const ny = createZoneClock('America/New_York');
    expect(ny.toInstant(2026, 3, 7, 9, 0).toISOString()).toBe('2026-03-07T14:00:00.000Z');
    expect(ny.toInstant(2026, 3, 8, 9, 0).toISOString()).toBe('2026-03-08T13:00:00.000Z');
    expect(ny.localParts(new Date('2026-01-15T14:00:00.000Z'))).toMatchObject({ hour: 9, minute: 0, weekday: 4 });
  });
});

describe('CatalogSchema', () => {
  const base = { provider: { name: 'X', timezone: 'Europe/London' }, items: [{ sku: 'a', name: 'A' }] };

  it('fills defaults', () => {
    expect(CatalogSchema.parse(base)).toMatchObject({ items: [{ sku: 'a', aliases: [] }], modifiers: [] });
  });

  it('rejects unknown time zones and duplicate skus', () => {
    expect(() => CatalogSchema.parse({ ...base, provider: { name: 'X', timezone: 'Mars/Olympus' } })).toThrow(/time zone/);
    expect(() => CatalogSchema.parse({ ...base, items: [...base.items, { sku: 'a', name: 'B' }] })).toThrow(/duplicate sku/);
  });
});
