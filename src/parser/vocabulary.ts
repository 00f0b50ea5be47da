// Generic English vocabulary the parser relies on. Nothing here may name a menu item or modifier:
// everything menu-specific comes from the catalog.

const words = (list: string): ReadonlySet<string> => new Set(list.trim().split(/\s+/));

export const NUMBER_WORDS: ReadonlyMap<string, number> = new Map([
  ['zero', 0], ['one', 1], ['two', 2], ['three', 3], ['four', 4], ['five', 5], ['six', 6], ['seven', 7],
  ['eight', 8], ['nine', 9], ['ten', 10], ['eleven', 11], ['twelve', 12], ['thirteen', 13], ['fourteen', 14],
  ['fifteen', 15], ['sixteen', 16], ['seventeen', 17], ['eighteen', 18], ['nineteen', 19], ['twenty', 20],
  ['thirty', 30], ['forty', 40], ['fifty', 50], ['sixty', 60],
]);

/** "a dozen", "a couple of": quantity nouns that multiply or replace the count before them. */
export const QUANTITY_NOUNS: ReadonlyMap<string, number> = new Map([
  ['dozen', 12], ['dozens', 12], ['couple', 2], ['pair', 2],
]);

/** Words that count as "one more of" something. */
export const ONE_MORE_WORDS = words('another');

/** Nouns that hold a quantity of something else: "2 cups of coffee", "a shot of hazelnut". */
export const CONTAINER_WORDS = words(`
  cup cups mug mugs glass glasses bottle bottles can cans box boxes bag bags order orders serving servings
  slice slices piece pieces pot pots carafe carafes jug jugs pint pints shot shots pump pumps splash dash
  bowl bowls plate plates side sides tray trays round rounds batch batches pack packs`);

/** Adjectives that may sit inside an item phrase without making it a different (unknown) item. */
export const FILLER_WORDS = words(`
  big nice fresh hot cold warm good great quick tasty yummy delicious lovely usual normal standard
  more few each same favorite favourite favourites classic single double triple own x ur
  cup cups mug size sized piece pieces
  tall short grande venti trenta regular reg plain ordinary original small sm sml medium med large lg lrg xl dbl black`);

/** Words that say "one without the extras" in a split: "3 skim, 2 oat, 1 normal". */
export const PLAIN_WORDS = words('normal regular reg plain standard ordinary original usual');

/** Verbs that take something back out of the order: "scratch the cookie", "remove the muffin". */
export const REMOVAL_WORDS = words('scratch remove drop delete nix lose minus forget cancel skip');

/** Verbs that introduce what the customer wants; an unknown noun right after one is a request. */
export const ORDER_VERBS = words(`
  get have like want order need grab take bring give gimme send buy try do make pre preorder reorder
  could id ill wanna gonna lemme`);

/** Words that join a modifier or add-on to the item before it. */
export const LINK_WORDS = words('with add plus extra w');

/** Words that chain list entries ("a latte and a muffin"). */
export const JOIN_WORDS = words('and or also then n');

/** "actually", "make that", "instead": later words change what came before. */
export const CORRECTION_WORDS = words('actually instead sorry correction oops wait nah nvm');

export const STOP_WORDS = words(`
  a an the this that these those it its it's i me my mine we us our ours you your yours u ya yall he him his
  she her hers they them their theirs someone somebody everyone everybody anyone all both
  is am are was were be been being do does did doing done have has had having will would shall should can
  could may might must need needs let lets let's im ive id ill youre youll dont doesnt didnt cant wont isnt
  arent wasnt not no nope yes yeah yep yup ok okay okey k kk sure alright right fine cool great awesome
  please pls plz thanks thank thx ty tysm cheers appreciate appreciated much so very really just only
  ta tah tyvm thnx thanx thnks tks tq cya ciao laters xx xxx xoxo
  also too as well and or but nor then than if when while because since until till
  of in on at to for from by about around near into onto out off over under up down with without within
  via per
  hi hey hello hiya howdy yo morning afternoon evening night good day gm hola sup greetings
  lol lmao haha hahaha hehe omg wow nice cheers bye goodbye see soon later
  what whats which who whom whose where wheres when how hows why
  order orders ordering ordered pickup pick picking collect collection ready
  get got getting grab grabbing take taking bring want wanted wanting like liked love would
  need needed give gimme send buy try make made making put show tell know check wondering wonder
  some any something anything nothing thing things stuff bit little lot lots
  today tonight tomorrow now asap soon later morning noon
  here there again usual
  bot guys folks team everyone mate buddy friend pal
  minute minutes min mins hour hours
  still yet already maybe perhaps probably
  menu menus options prices price list
  btw real kindly ah oh um uh hmm ahh ooh tho though theres thats heres hows whos
  delivery takeaway takeout dine swing drop stop come coming pass head lunch dinner brunch
  perfect amazing excellent brilliant help chance heya stat pronto first time
  pay paying paid payment cash card store shop counter inside outside curbside car
  able possible
  going gonna wanna lemme kinda sorta
  one ones`);

/** Words that follow "for" but are not a customer's name. */
export const NOT_A_NAME = words(`
  me us you him her them my our your his their the a an this that these those it here there now later
  today tonight tomorrow morning afternoon evening night lunch breakfast brunch dinner dessert pickup pick
  takeout takeaway delivery everyone everybody all both office work team kids kid children boss mom dad
  mum mother father wife husband son daughter friend friends colleague colleagues coworker coworkers guests
  family group meeting party class people persons person others myself ourselves yourself
  dine dining sharing share go real sure example instance free please pls and or with at in on by
  christmas xmas thanksgiving easter halloween birthday holidays weekend collection
  fun once starters school church practice game road trip journey commute afterwards
  asap now again what which who how whom
  monday tuesday wednesday thursday friday saturday sunday mon tue tues wed thu thur thurs fri sat sun
  january february march april may june july august september october november december
  dr mr mrs ms mx prof`);

/** Titles that may precede a name ("Dr. Lee"). */
export const HONORIFICS = words('dr mr mrs ms mx prof miss sir madam mme');
