/**
 * The one rule for text people read (names, notes, labels) wherever a request carries it: order fields,
 * providers, catalog items and modifiers, operator ids and notes, chat connection labels.
 */
import { z } from 'zod';

// C0/C1 controls; multi-line fields may keep tab and newline. Matching control characters is the point here.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
// eslint-disable-next-line no-control-regex
const CONTROL_EXCEPT_NEWLINES = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;
// Bidi embeddings, overrides and isolates (U+202A-202E, U+2066-2069): they make text read differently than it is.
const BIDI_CONTROL = /[\u202a-\u202e\u2066-\u2069]/;
// With the u flag a well-formed pair is one code point, so only an unpaired half matches \p{Cs}.
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * Text a person typed that others will read (names, notes): no control characters, no bidi overrides, no
 * unpaired surrogates (which cannot be encoded to UTF-8 faithfully), and stored in NFC so "é" typed two ways
 * is one string. `max` counts characters after normalisation.
 */
export function plainText(max: number, opts: { multiline?: boolean; allowEmpty?: boolean } = {}) {
  return z.string()
    .refine((v) => !LONE_SURROGATE.test(v), 'must be valid Unicode text (no unpaired surrogates)')
    .refine((v) => !(opts.multiline ? CONTROL_EXCEPT_NEWLINES : CONTROL).test(v), 'must not contain control characters')
    .refine((v) => !BIDI_CONTROL.test(v), 'must not contain bidirectional override characters')
    .transform((v) => v.normalize('NFC').trim())
    .pipe(z.string().min(opts.allowEmpty ? 0 : 1).max(max));
}

