// What the customer wants from the bot, from commands and generic English phrasing.

export type Intent = 'order' | 'status' | 'cancel' | 'menu' | 'help' | 'unknown';

const COMMAND_INTENTS: Readonly<Record<string, Intent>> = {
  order: 'order', neworder: 'order', buy: 'order',
  status: 'status', track: 'status', where: 'status', myorder: 'status', orders: 'status',
  cancel: 'cancel', stop: 'cancel',
  menu: 'menu', prices: 'menu', list: 'menu',
  help: 'help', start: 'help', about: 'help', commands: 'help',
};

const CANCEL = /\bcancel+(?:l?ed|ling|lation)?\b|\bnever\s?mind\b|\bnvm\b|\bforget\s+(?:it|that|the\s+order|my\s+order|about\s+it)\b|\bscrap\s+(?:that|it|the\s+order|my\s+order)\b|\bcall\s+(?:it|the\s+order)\s+off\b|\bdon'?t\s+want\s+(?:it|that|the\s+order|my\s+order|them)\s+anymore\b|\b(?:can'?t|cannot|can\s+not|won'?t|wont|not\s+(?:going\s+to|gonna))\s+make\s+it\b|\bno\s+longer\s+(?:need|want)\b|\bdon'?t\s+bother\b|\bdon'?t\s+need\s+(?:it|that|them|the\s+order|my\s+order)\s+any\s?more\b/;

const STATUS = new RegExp([
  '\\bstatus\\b', '\\btrack(?:ing)?\\b', '\\beta\\b', '\\bany\\s+(?:update|news|word)s?\\b', '\\bupdates?\\s+on\\b',
  "\\bwhere(?:'?s|\\s+is|\\s+are)\\s+(?:my|our|the)\\b", '\\b(?:is|are)\\s+(?:my|our|the|it|they|order)\\b[^.?!]*\\bready\\b(?!\\s+(?:by|at|for|in|around)\\b)',
  '\\bready\\s+yet\\b', '\\bhow\\s+(?:much\\s+)?long(?:er)?\\b', '\\bwhen\\s+(?:will|is|does|can)\\b[^.?!]*\\b(?:ready|done)\\b',
  '\\bhas\\s+(?:my|our|the)\\s+order\\b', '\\bcheck\\s+(?:on\\s+)?(?:my|our|the)\\s+order\\b', '\\bstill\\s+waiting\\b',
  "\\bwhat(?:'?s|\\s+is)\\s+taking\\b", '\\bwhat\\s+happened\\s+to\\s+my\\b', '\\bis\\s+it\\s+(?:ready|done)\\b', '^\\s*(?:ready|done)\\s*\\?',
  // Indirect: "did my order go through?", "how's it looking?", "did you get my order?"
  '\\b(?:go|gone|went|get|got|come|came)\\s+thr(?:ough|u|o)\\b',
  "\\bhow(?:'?s|\\s+is|\\s+are|\\s+r)?\\s+(?:it|that|things|everything|we|my\\s+[a-z]+|our\\s+[a-z]+|the\\s+order)\\s+(?:looking|going|coming(?:\\s+along)?|doing|getting\\s+on)\\b",
  '\\bdid\\s+(?:you|u|ya)\\s+(?:get|receive|see)\\s+(?:my|our|the)\\s+order\\b', '\\bdid\\s+(?:you|u|ya)\\s+get\\s+(?:it|that|this)\\s*\\??\\s*$', '\\b(?:almost|nearly)\\s+(?:ready|done)\\s*\\?',
  "\\bwhat(?:'?s|\\s+is)\\s+the\\s+(?:eta|hold\\s?up|wait\\s+time)\\b", '\\bany\\s+(?:progress|eta)\\b',
  '\\b(?:my|our|the)\\s+order\\s+(?:is\\s+|been\\s+)?(?:ready|done|made|on\\s+its\\s+way)\\s*\\?',
  '\\bwhat\\s+(?:did\\s+)?(?:i|we)\\s+order(?:ed)?\\b', '\\bremind\\s+me\\b[^.?!]*\\border',
].join('|'));

// Questions about the menu itself; these win over item words ("how much is a latte?").
const MENU_QUESTION = new RegExp([
  '\\bwhat\\b[^.?!]{0,30}\\b(?:do|does|can)\\s+(?:you|u|ya|y\'?all)\\s+(?:have|got|sell|serve|offer|make|carry|do)\\b',
  '\\bwhat\\s+(?:can|could)\\s+i\\s+(?:get|order|have)\\b', '\\bdo\\s+(?:you|u|ya)\\s+(?:have|sell|serve|carry|make|offer|do|got)\\b',
  "\\bwhat(?:'?s|\\s+is|\\s+are)\\s+(?:on|available|good|in\\s+(?:the|a|an))\\b", "\\bwhat(?:'?s|\\s+is)\\s+(?:your|the)\\s+(?:options|specials?|selection)\\b",
  '\\bhow\\s+much\\s+(?:is|are|does|do|for|would)\\b', '\\bprices?\\b', '\\bcosts?\\b', '\\bwhat\\s+kinds?\\s+of\\b', '\\bwhat\\s+(?:flavou?rs|sizes|options)\\b',
  '\\b(?:is|are)\\s+there\\s+any\\b', '\\bany\\s+(?:vegan|gluten|dairy)',
  // "what pizzas have you got", "which teas do you do", "got any pastries?"
  '\\b(?:what|which)\\b[^.?!]{0,30}\\b(?:have|got)\\s+(?:you|u|ya)\\s+got\\b', '\\b(?:what|which)\\b[^.?!]{0,30}\\b(?:you|u|ya)\\s+got\\s*\\??\\s*$',
  '\\bwhich\\b[^.?!]{0,30}\\b(?:do|does|can)\\s+(?:you|u|ya)\\s+(?:have|sell|serve|offer|make|do)\\b', '\\bwhat\\s+[a-z]+\\s+(?:are|is)\\s+(?:there|available)\\b',
  '^\\s*(?:have\\s+(?:you|u)\\s+)?got\\s+any\\b',
  '^\\s*any\\s+[a-z]+(?:\\s+[a-z]+)?\\s+(?:left|available|today|in\\s+stock)\\s*\\??\\s*$',
  "\\bwhat(?:'?s|\\s+is|\\s+are)\\s+(?:the|your|today'?s)\\s+(?:[a-z]+\\s+)?(?:today|of\\s+the\\s+day|this\\s+week|specials?)\\b",
].join('|'));
const MENU_WORD = /\bmenu\b|\bofferings\b|\bselection\b/;

// "How do I order?" asks how the bot works even when it names an item.
const HELP_QUESTION = /\bwhat\s+(?:can|do)\s+(?:you|u|this\s+bot|the\s+bot|it)\s+do\b|\bhow\s+(?:do|can|should|would)\s+(?:i|we|one|you)\s+(?:order|use|start|place|make\s+an\s+order|pay)\b|\bhow\s+(?:does|do)\s+(?:this|it|the\s+bot|you)\b[^.?!]*\bwork\b|\bhow\s+to\s+(?:order|use)\b|\bwhat\s+(?:can|do|should)\s+i\s+(?:say|type|ask|write|send)\b|\bwhat\s+can\s+i\s+do\b|\bwho\s+are\s+you\b|\bwhat\s+are\s+you\b|\bwhat\s+is\s+this\b|\bcommands\b|\binstructions\s+(?:please|pls)?\s*$/;
const HELP_WORD = /\bhelp\b|\bhow\s+(?:does|do)\s+(?:ordering|pre-?ordering|pick-?up|paying|payment|this\s+(?:bot|thing|service|app))\s+work\b|\bhow\s+does\s+(?:this|it)\s+work\b|\bwhat\s+do\s+i\s+do\b/;

/** Phrasing that marks a message as a request to buy, not a question about the menu. */
export const ORDER_CUE = /\b(?:can|could|may)\s+(?:i|we)\s+(?:get|have|grab|order|pre-?order|do)\b|\bi'?d\s+like\b|\bi\s+would\s+like\b|\bi'?ll\s+(?:have|take|get)\b|\bi\s+(?:want|need)\b|\b(?:give|get|bring)\s+me\b|\blet\s+me\s+(?:get|have)\b|\bplease\b|\bpls\b|\bplz\b|\border\b|\bwe'?d\s+like\b/;

/** "I'd like to order", "can I place an order?": an order with nothing in it yet. */
const ORDER_START = /\b(?:the|my)\s+usual\b|\b(?:i'?d\s+like|i\s+would\s+like|i\s+want|i\s+wanna|can\s+i|could\s+i|may\s+i|i'?m\s+ready|let\s+me|we'?d\s+like)\s+(?:to\s+)?(?:place\s+(?:an?\s+)?|pre-?)?order\b|\bplace\s+an?\s+order\b|^\s*(?:new\s+)?order\s*[.!]*$/;

export interface IntentSignals {
  command: string | null;
  /** Folded message text. */
  text: string;
  /** Whether the text names catalog items or asks for things (known or not). */
  hasOrderContent: boolean;
  /** Whether the text quotes an order reference ("DC-1042"). */
  hasOrderRef: boolean;
}

export function detectIntent({ command, text, hasOrderContent, hasOrderRef }: IntentSignals): Intent {
  const commandIntent = command ? COMMAND_INTENTS[command] : undefined;
  if (commandIntent) return commandIntent;
  const cancel = CANCEL.exec(text);
  if (cancel && !(hasOrderContent && cancelEditsOrder(text, cancel))) return 'cancel';
  if (STATUS.test(text) || (hasOrderRef && !hasOrderContent)) return 'status';
  if (HELP_QUESTION.test(text)) return 'help';
  if (MENU_QUESTION.test(text) && !(hasOrderContent && ORDER_CUE.test(text))) return 'menu';
  if (hasOrderContent || ORDER_START.test(text)) return 'order';
  if (MENU_WORD.test(text)) return 'menu';
  if (HELP_WORD.test(text)) return 'help';
  return 'unknown';
}

/**
 * Whether a cancel phrase only edits the order it sits in: "cancel the espresso" takes one thing out,
 * "mango tango, nvm make it a berry blast" changes its mind and goes on ordering.
 */
function cancelEditsOrder(text: string, match: RegExpExecArray): boolean {
  const after = text.slice(match.index + match[0].length);
  if (/^(?:nvm|never\s?mind|forget\s+(?:it|that)|scrap\s+(?:that|it))$/.test(match[0])) return /[a-z0-9]/.test(after.replace(/^[\s,.!;:-]*(?:please|pls|sorry|thanks)?/, ''));
  return /^cancel/.test(match[0]) && /^\s+(?:the|that|this|those|these|one|1|a|an)\s+(?!(?:whole|entire|order|orders|it|please|pls)\b)[a-z]/.test(after);
}

/** An order reference such as "DC-1042", using the catalog's prefix when it has one. */
export function findOrderRef(text: string, orderPrefix: string | null): string | null {
  const prefix = orderPrefix ? orderPrefix.toLowerCase().replace(/[^a-z0-9]/g, '') : '[a-z]{1,4}';
  const match = new RegExp(`\\b(${prefix})[\\s#-]?(\\d{2,})\\b`, 'i').exec(text) ?? /\b([a-z]{1,4})-(\d{3,})\b/i.exec(text);
  if (!match) return null;
  return `${(match[1] ?? '').toUpperCase()}-${match[2] ?? ''}`;
}
