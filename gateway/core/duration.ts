import { z } from 'zod';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION_RE = /^(\d+(?:\.\d+)?)\s*(ms|s|m|min|h|d)$/;

/** Parses "500ms", "5s", "2m", "1h", "1d"; returns undefined when the text is not a duration. */
export function parseDuration(text: string): number | undefined {
  const m = DURATION_RE.exec(text.trim());
  if (!m) return undefined;
  return Math.round(Number(m[1]) * UNIT_MS[m[2]!]!);
}

/**
 * A duration in config: a number of milliseconds or a string such as "5s". The parsed value is
 * always milliseconds.
 */
export const durationSchema = z
  .union([z.number().nonnegative(), z.string().regex(DURATION_RE, 'expected a duration such as 500ms, 5s, 2m, 1h')])
  .transform((v) => (typeof v === 'number' ? v : parseDuration(v)!));

export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0 && ms >= 3_600_000) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0 && ms >= 60_000) return `${ms / 60_000}m`;
  if (ms % 1000 === 0 && ms >= 1000) return `${ms / 1000}s`;
  return `${ms}ms`;
}
