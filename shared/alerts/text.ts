/**
 * Text helpers for alert messages: text from records made safe to show (safeText), numbers and times as a person
 * reads them, `{placeholder}` templates, GSM-7 (the SMS alphabet in which one segment holds 160 characters,
 * against 70 for anything else), and SNS's Subject rules.
 */

/**
 * What a value from a record may not carry into a message: C0 and C1 controls and DEL (a newline could forge a
 * `Data:` or an "URGENT call ..." line, BEL rings, CR overwrites), line and paragraph separators, bidirectional
 * formatting (U+061C, U+200E-F, U+202A-E, U+2066-9: U+202E reverses what follows), the BOM / zero-width no-break
 * space, and lone surrogates (not text).
 */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * Characters of one value shown at most: the record kernel's key bound (MAX_KEY_CHARS, shared/records/limits.ts),
 * so every key it accepts is shown whole; older or foreign items may hold longer ones.
 */
export const SHOWN_CHARS = 512;

/**
 * A value from a record (key, aggregate or column name, table key) as it may appear in any channel: each unsafe
 * character written as a visible `\uXXXX` escape (so two keys stay told apart), cut to `max` characters.
 */
export function safeText(text: string, max = SHOWN_CHARS): string {
  const escaped = text.replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`);
  if (escaped.length <= max) return escaped;
  let end = max - 1;
  const last = escaped.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${escaped.slice(0, end)}…`;
}

/** True when a text holds nothing safeText would escape (for tests and checks). */
export const isSafeText = (text: string): boolean => !new RegExp(UNSAFE.source).test(text);

/** Integers as they are; other numbers with at most 2 decimals (or 3 significant digits when smaller). */
export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Number.isInteger(n)) return String(n);
  const abs = Math.abs(n);
  if (abs < 0.01) return String(Number(n.toPrecision(3)));
  return String(Number(n.toFixed(2)));
}

export const formatScore = (n: number): string => n.toFixed(2);

/** `2026-11-22T10:00:00.000Z` → `2026-11-22 10:00:00 UTC` (milliseconds only when not zero). */
export function formatTime(iso: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(\.\d+)?Z$/.exec(iso);
  if (!m) return iso;
  const ms = m[3] && Number(m[3]) !== 0 ? m[3] : '';
  return `${m[1]} ${m[2]}${ms} UTC`;
}

/** The time of day only, for a second time on the same day (`10:00:10 UTC`). */
export function formatTimeOfDay(iso: string, sameDayAs?: string): string {
  const full = formatTime(iso);
  return sameDayAs && iso.slice(0, 10) === sameDayAs.slice(0, 10) && full !== iso ? full.slice(11) : full;
}

/** Replaces `{name}` with vars[name]; unknown placeholders stay as written, so a typo shows instead of vanishing. */
export function renderTemplate(template: string, vars: Readonly<Record<string, string>>): string {
  return template.replace(/\{([A-Za-z_][A-Za-z0-9_.]*)\}/g, (whole, name: string) =>
    Object.prototype.hasOwnProperty.call(vars, name) ? vars[name]! : whole,
  );
}

// GSM 03.38: the basic set (1 septet each) and the extension table (2 septets each: escape + char).
const GSM_BASIC = new Set(
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà',
);
const GSM_EXTENDED = new Set('^{}\\[~]|€\f');

const TRANSLITERATIONS: Record<string, string> = {
  '≥': '>=',
  '≤': '<=',
  '≠': '!=',
  '—': '-',
  '–': '-',
  '−': '-',
  '…': '...',
  '‘': "'",
  '’': "'",
  '“': '"',
  '”': '"',
  '×': 'x',
  '·': '-',
  '•': '-',
  '→': '->',
  '←': '<-',
  '↑': 'up',
  '↓': 'down',
  '°': ' deg',
  '\u00a0': ' ',
  '\t': ' ',
};

/** Septets a GSM-7 text takes, or undefined when a character is outside GSM-7. */
export function gsm7Length(text: string): number | undefined {
  let n = 0;
  for (const c of text) {
    if (GSM_BASIC.has(c)) n += 1;
    else if (GSM_EXTENDED.has(c)) n += 2;
    else return undefined;
  }
  return n;
}

/**
 * Brings a text into GSM-7 where it can: typographic marks to their ASCII forms, accented letters outside
 * GSM-7 to their base letters. Characters with no GSM-7 form (e.g. CJK keys) stay: the key matters more
 * than the segment count.
 */
export function toGsm7(text: string): string {
  let out = '';
  for (const c of text) {
    if (GSM_BASIC.has(c) || GSM_EXTENDED.has(c)) out += c;
    else if (TRANSLITERATIONS[c] !== undefined) out += TRANSLITERATIONS[c];
    else {
      const base = c.normalize('NFD').replace(/\p{M}+/gu, '');
      out += base && [...base].every((b) => GSM_BASIC.has(b)) ? base : c;
    }
  }
  return out;
}

/** How long a text may be in one segment: 160 GSM-7 septets, or 70 UCS-2 characters when it is not GSM-7. */
export function smsCapacity(text: string, reserved: number): { used: number; limit: number } {
  const septets = gsm7Length(text);
  return septets === undefined
    ? { used: [...text].length, limit: Math.max(0, 70 - reserved) }
    : { used: septets, limit: Math.max(0, 160 - reserved) };
}

export const fitsSms = (text: string, reserved: number): boolean => {
  const { used, limit } = smsCapacity(text, reserved);
  return used <= limit;
};

/** Cuts a text at a word boundary so that it, with "...", fits one segment. */
export function truncateSms(text: string, reserved: number): string {
  if (fitsSms(text, reserved)) return text;
  const chars = [...text];
  let lo = 0;
  let hi = chars.length;
  // The longest prefix that fits with the ellipsis (fitting is monotone in the prefix length).
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (fitsSms(chars.slice(0, mid).join('').trimEnd() + '...', reserved)) lo = mid;
    else hi = mid - 1;
  }
  let cut = chars.slice(0, lo).join('');
  const space = cut.lastIndexOf(' ');
  if (space > cut.length * 0.6) cut = cut.slice(0, space);
  return cut.replace(/[\s,;:.(-]+$/, '') + '...';
}

/**
 * SNS Subject: printable ASCII, one line, not starting with a space, at most 100 characters.
 * Anything else (a key in another script) is transliterated or replaced with "?".
 */
export function toSubject(text: string, max = 100): string {
  let ascii = '';
  for (const c of toGsm7(text.replace(/[\r\n]+/g, ' '))) {
    const code = c.codePointAt(0)!;
    ascii +=
      code >= 0x20 && code < 0x7f
        ? c
        : c
            .normalize('NFD')
            .replace(/\p{M}+/gu, '')
            .replace(/[^\x20-\x7e]/g, '?');
  }
  ascii = ascii.replace(/\s+/g, ' ').trim();
  if (ascii.length <= max) return ascii;
  const cut = ascii.slice(0, max - 3);
  const space = cut.lastIndexOf(' ');
  return (space > max * 0.6 ? cut.slice(0, space) : cut).replace(/[\s,;:.(-]+$/, '') + '...';
}
