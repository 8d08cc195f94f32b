/**
 * Text from outside the gateway (MQTT client ids and user names, topics, operator comments, device
 * strings, config text) made safe for a terminal line or a log line.
 *
 * Printed raw, such text can start a new line that looks like the gateway's own ("报警 #99 … 【重大】"),
 * colour or clear the operator's screen with ANSI escapes, or reorder what is shown with Unicode
 * bidirectional controls. Every such character is shown as a visible escape instead (`\n`, `\x1b`,
 * `\u{202E}`), so the text stays readable and can never leave its place on the line. Long text is
 * cut, so one field cannot flood the screen or the log.
 */

/** Longest untrusted text printed in one place, in characters (before escaping). */
export const MAX_UNTRUSTED_TEXT = 500;

// C0 controls (newline, ESC, …), DEL, C1 controls (0x9B is a one-byte CSI on some terminals), the
// Unicode line and paragraph separators, bidi marks, embeddings, overrides and isolates, the BOM,
// and lone UTF-16 surrogates.
// eslint-disable-next-line no-control-regex -- matching control characters is the point: they are what gets escaped
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ufeff]|[\ud800-\udfff]/gu;

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escapeChar(ch: string): string {
  const named = NAMED[ch];
  if (named) return named;
  const code = ch.codePointAt(0)!;
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16).toUpperCase()}}`;
}

/**
 * `value` as one safe line: control characters, ANSI escapes and bidi controls shown escaped, cut to
 * `maxLength` characters with a note of how much was cut.
 */
export function untrustedText(value: unknown, maxLength = MAX_UNTRUSTED_TEXT): string {
  let text = typeof value === 'string' ? value : String(value);
  let cut = '';
  if (text.length > maxLength) {
    let end = maxLength;
    // Do not split a surrogate pair.
    const last = text.charCodeAt(end - 1);
    if (last >= 0xd800 && last <= 0xdbff) end--;
    cut = `…(+${text.length - end} 字符)`;
    text = text.slice(0, end);
  }
  return text.replace(UNSAFE, escapeChar) + cut;
}

/**
 * A message that may span lines (a config error list has one error per line): each line escaped on
 * its own and every continuation line indented, so no part of it can pass for a line of its own.
 */
export function untrustedMultiline(text: string, maxLines = 200, maxLineLength = 2000): string {
  const lines = text.split(/\r?\n/);
  const shown = lines.slice(0, maxLines).map((l) => untrustedText(l, maxLineLength));
  if (lines.length > maxLines) shown.push(`…(+${lines.length - maxLines} 行)`);
  return shown.join('\n    ');
}

/** untrustedText with a shorter default cut, for identifiers (client ids, user names, topics). */
export function untrusted(text: unknown, maxLength = 120): string {
  return untrustedText(text === undefined ? '' : text, maxLength);
}
