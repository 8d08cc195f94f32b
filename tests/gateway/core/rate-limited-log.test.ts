import { describe, expect, it } from 'vitest';
import type { Logger } from '../../../gateway/core/logger.js';
import { RateLimitedLog } from '../../../gateway/core/rate-limited-log.js';

interface Line {
  level: string;
  msg: string;
  fields?: Record<string, unknown> | undefined;
}

function recorder() {
  const lines: Line[] = [];
  const log: Logger = {
    debug: (msg, fields) => void lines.push({ level: 'debug', msg, fields }),
    info: (msg, fields) => void lines.push({ level: 'info', msg, fields }),
    warn: (msg, fields) => void lines.push({ level: 'warn', msg, fields }),
    error: (msg, fields) => void lines.push({ level: 'error', msg, fields }),
    child: () => log,
  };
  let t = 1_000_000;
  const clock = { now: () => t, advance: (ms: number) => void (t += ms) };
  return { lines, log, clock };
}

describe('RateLimitedLog', () => {
  it('a device timing out every second for an hour writes one line per backoff step, each with the repeats in between', () => {
    const { lines, log, clock } = recorder();
    const rl = new RateLimitedLog(log, { now: clock.now });
    let occurrences = 0;
    for (let s = 0; s < 3600; s++) {
      rl.warn('timeout', '应答超时 [timeout]', { unit: 3 });
      occurrences++;
      clock.advance(1000);
    }
    // Written at 0 s, then after 10, 20, 40, 80, 160, 320 s steps (at 10, 30, 70, 150, 310, 630 s),
    // then every 600 s: 1230, 1830, 2430, 3030 s.
    expect(lines).toHaveLength(11);
    expect(lines[0]).toEqual({ level: 'warn', msg: '应答超时 [timeout]', fields: { unit: 3 } });
    expect(lines[1]!.fields).toEqual({ unit: 3, repeats: 9 });
    expect(lines[1]!.msg).toBe('应答超时 [timeout]（此前 9 次相同未记录 [9 repeats not logged]）');
    expect(lines[2]!.fields).toMatchObject({ repeats: 19 });
    expect(lines.at(-1)!.fields).toMatchObject({ repeats: 599 });
    // Nothing is lost from the count: written lines plus the repeats they report, plus those still pending.
    const reported = lines.length + lines.reduce((n, l) => n + ((l.fields?.['repeats'] as number | undefined) ?? 0), 0);
    expect(reported + rl.clear('timeout')).toBe(occurrences);
  });

  it('keeps causes apart: a second device is written at once while the first is held back', () => {
    const { lines, log, clock } = recorder();
    const rl = new RateLimitedLog(log, { now: clock.now });
    expect(rl.error('dev-a', 'a down')).toBe(true);
    expect(rl.error('dev-a', 'a down')).toBe(false);
    expect(rl.error('dev-b', 'b down')).toBe(true);
    clock.advance(5000);
    expect(rl.error('dev-a', 'a down')).toBe(false);
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      ['error', 'a down'],
      ['error', 'b down'],
    ]);
  });

  it('clear() ends a cause: it returns the repeats not written, and the next occurrence is written at once', () => {
    const { lines, log, clock } = recorder();
    const rl = new RateLimitedLog(log, { now: clock.now });
    rl.warn('link', 'connection refused');
    rl.warn('link', 'connection refused');
    rl.warn('link', 'connection refused');
    expect(rl.clear('link')).toBe(2);
    expect(rl.clear('link')).toBe(0);
    clock.advance(1);
    expect(rl.warn('link', 'connection refused')).toBe(true);
    expect(lines).toHaveLength(2);
    expect(lines[1]!.fields).toBeUndefined();
  });

  it('clearAll() ends every cause at once and sums what was not written', () => {
    const { lines, log, clock } = recorder();
    const rl = new RateLimitedLog(log, { now: clock.now });
    for (const kind of ['auth', 'timeout', 'timeout', 'auth', 'auth']) rl.warn(kind, kind);
    expect(rl.clearAll()).toBe(3);
    expect(rl.warn('auth', 'auth')).toBe(true);
    expect(lines.map((l) => l.msg)).toEqual(['auth', 'timeout', 'auth']);
  });

  it('a cause silent for the longest step starts again from the first step', () => {
    const { lines, log, clock } = recorder();
    const rl = new RateLimitedLog(log, { now: clock.now, firstStepMs: 1000, maxStepMs: 8000 });
    // Back off to the longest step: lines at 0, 1, 3, 7, 15 s.
    for (let s = 0; s <= 15; s++) {
      rl.warn('c', 'x');
      clock.advance(1000);
    }
    expect(lines).toHaveLength(5);
    clock.advance(60_000);
    rl.warn('c', 'x'); // written: its step had passed
    clock.advance(1000);
    expect(rl.warn('c', 'x')).toBe(true); // the first step (1 s) again, not 8 s
    expect(lines).toHaveLength(7);
  });

  it('remembers at most maxCauses causes (a new client id per attempt does not grow memory)', () => {
    const { lines, log, clock } = recorder();
    const rl = new RateLimitedLog(log, { now: clock.now, maxCauses: 2 });
    rl.warn('c1', 'x');
    rl.warn('c2', 'x');
    rl.warn('c3', 'x'); // c1, the stalest, is forgotten
    expect(rl.warn('c3', 'x')).toBe(false);
    expect(rl.warn('c2', 'x')).toBe(false);
    expect(rl.warn('c1', 'x')).toBe(true);
    expect(lines).toHaveLength(4);
  });
});
