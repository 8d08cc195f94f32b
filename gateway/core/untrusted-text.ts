/**
 * Outside text (MQTT client ids, user names, topics, payload excerpts) made safe for a terminal or a
 * log line: control characters, newlines, ANSI escapes, bidi overrides and line separators become
 * \uXXXX, and long text is cut. A network client must not be able to write a forged alarm line or
 * terminal escape codes onto the operator's screen.
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;

export function untrusted(text: unknown, maxLength = 120): string {
  const s = typeof text === 'string' ? text : text === undefined ? '' : String(text);
  const cut = s.length > maxLength ? s.slice(0, maxLength) : s;
  const escaped = cut.replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return s.length > maxLength ? `${escaped}…(${s.length} chars)` : escaped;
}
