import { MAX_KEY_CHARS, PREVIEW_CHARS } from './limits';

/**
 * Record bytes as text, and the text rules of the kernel: data must be valid UTF-8 (decoded with a fatal
 * TextDecoder, so two keys that differ only in invalid bytes can never merge into one U+FFFD key), previews in
 * reasons are short and escaped, and group keys hold no control or bidirectional-formatting characters (a key
 * reaches SMS and email bodies, where a newline or U+202E could forge a line or reverse the text).
 */

export type Decoded<T> = { ok: true; value: T } | { ok: false; reason: string };

export const ok = <T>(value: T): Decoded<T> => ({ ok: true, value });
export const fail = <T>(reason: string): Decoded<T> => ({ ok: false, reason });

const fatalUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Bytes as text, or the reason they are not valid UTF-8 (with the first bad byte's offset). */
export function decodeUtf8(bytes: Uint8Array): Decoded<string> {
  try {
    return ok(fatalUtf8.decode(bytes));
  } catch {
    return fail(`data is not valid UTF-8 (first invalid byte at offset ${firstInvalidUtf8(bytes)})`);
  }
}

/** Kinesis data (base64) as text, or the reason it is not valid UTF-8. */
export const decodeData = (base64: string): Decoded<string> => decodeUtf8(Buffer.from(base64, 'base64'));

/**
 * Kinesis data as text with invalid bytes replaced by U+FFFD: only for keeping a rejected record's data, which
 * must be text; never for reading fields (see decodeData).
 */
export const lossyText = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');

/** Offset of the first byte that breaks UTF-8 (only worked out for a reason, off the hot path). */
function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    const n = c < 0x80 ? 0 : c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : -1;
    if (n < 0) return i;
    for (let k = 1; k <= n; k++) {
      const x = b[i + k];
      if (x === undefined || (x & 0xc0) !== 0x80) return i;
    }
    // Overlongs, surrogates and code points past U+10FFFF.
    const c1 = b[i + 1] ?? 0;
    if ((c === 0xe0 && c1 < 0xa0) || (c === 0xed && c1 > 0x9f) || (c === 0xf0 && c1 < 0x90) || (c === 0xf4 && c1 > 0x8f)) return i;
    i += n + 1;
  }
  return i;
}

/**
 * Text quoted in a reason: at most `max` characters (never cutting a surrogate pair), JSON-quoted so control
 * characters show as escapes. Bounded whatever the input, so a reason never grows with the record.
 */
export function quote(text: string, max = PREVIEW_CHARS): string {
  return JSON.stringify(preview(text, max));
}

/** Raw text shortened for logs and reject reasons (an ellipsis marks a cut). */
export function preview(text: string, max = 80): string {
  if (text.length <= max) return text;
  let end = max;
  const c = text.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end--;
  return `${text.slice(0, end)}…`;
}

/**
 * The first character a key may not hold, with its position, or undefined: C0 and C1 controls and DEL, line and
 * paragraph separators, bidirectional formatting (U+061C, U+200E–F, U+202A–E, U+2066–9), and lone surrogates
 * (a JSON "\ud800" escape: valid JSON, but not text DynamoDB can store unchanged).
 */
export function forbiddenKeyChar(key: string): { at: number; code: number } | undefined {
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (c >= 0x20 && c < 0x7f) continue;
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || c === 0x061c || c === 0x200e || c === 0x200f || c === 0x2028 || c === 0x2029)
      return { at: i, code: c };
    if ((c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069)) return { at: i, code: c };
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = key.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        i++;
        continue;
      }
      return { at: i, code: c };
    }
    if (c >= 0xdc00 && c <= 0xdfff) return { at: i, code: c };
  }
  return undefined;
}

const hex = (code: number) => `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;

/** A group key's text checked: non-empty after trimming, ≤ MAX_KEY_CHARS, no forbidden character. */
export function checkKeyText(name: string, raw: string): Decoded<string> {
  const key = raw.trim();
  if (key === '') return fail(`key field ${name} is empty`);
  if (key.length > MAX_KEY_CHARS) return fail(`key field ${name} is longer than ${MAX_KEY_CHARS} characters`);
  const bad = forbiddenKeyChar(key);
  if (bad) {
    const what = bad.code >= 0xd800 && bad.code <= 0xdfff ? 'a lone surrogate' : 'a control or bidi character';
    return fail(`key field ${name} holds ${what} (${hex(bad.code)} at ${bad.at}): ${quote(key, 40)}`);
  }
  return ok(key);
}

/**
 * Text from records made safe to show people (alert subjects, SMS and email bodies): every character a key may
 * not hold (forbiddenKeyChar) becomes a visible `\uXXXX`, so a value cannot forge a line or reverse the text
 * around it. The one classification of unsafe characters, for every channel.
 */
export function displaySafe(text: string): string {
  if (forbiddenKeyChar(text) === undefined) return text;
  let out = '';
  let from = 0;
  for (let rest = text; ;) {
    const bad = forbiddenKeyChar(rest);
    if (!bad) break;
    out += rest.slice(0, bad.at) + `\\u${bad.code.toString(16).toUpperCase().padStart(4, '0')}`;
    from += bad.at + 1;
    rest = text.slice(from);
  }
  return out + text.slice(from);
}
