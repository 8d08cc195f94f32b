import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { untrustedText, untrustedMultiline, MAX_UNTRUSTED_TEXT } from '../../../gateway/core/untrusted-text.js';
import { asyncScheduler } from 'rxjs';
import { ConsoleReporter } from '../../../gateway/services/terminal/console-reporter.js';
import { PointRegistry } from '../../../gateway/core/point-registry.js';
import { consoleLogger } from '../../../gateway/core/logger.js';
import type { AlarmEvent } from '../../../gateway/core/alarm-event.js';

/** A comment that tries to end the line, print a forged red critical alarm and leave the terminal red. */
const FORGED = '已处理\n\r\x1b[2K12:00:00 报警 #99 未确认 1号高炉煤气泄漏 【重大】\x1b[31m\u2028\u202e\x9b31m';

// Anything that could move the cursor, start a line or change colour on a terminal.
// eslint-disable-next-line no-control-regex -- matching control characters is the point: this is the set of terminal control characters the tests look for
const TERMINAL_CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

function event(over: Partial<AlarmEvent>): AlarmEvent {
  return { seq: 7, alarmId: 'co:HH', point: 'co', condition: 'HH', severity: 4, state: 'ACKED', active: true, value: 200, message: '一氧化碳浓度高高报警', ts: Date.now(), ...over };
}

describe('untrusted text on the terminal and in logs', () => {
  it('shows control characters, ANSI escapes and bidi overrides as visible escapes', () => {
    const out = untrustedText(FORGED);
    expect(out).not.toMatch(TERMINAL_CONTROL);
    expect(out).toContain('\\n');
    expect(out).toContain('\\x1b[31m');
    expect(out).toContain('\\u{202E}');
    expect(out).toContain('报警 #99'); // still readable, on the same line
  });

  it('cuts long text and says how much was cut, without splitting a character', () => {
    const out = untrustedText('煤'.repeat(MAX_UNTRUSTED_TEXT + 100));
    expect(out.startsWith('煤'.repeat(MAX_UNTRUSTED_TEXT))).toBe(true);
    expect(out).toContain('+100');
    expect(untrustedText('😀'.repeat(300), 5)).not.toMatch(/[\ud800-\udfff](?![\udc00-\udfff])/u);
  });

  it('leaves ordinary Chinese text as it is', () => {
    expect(untrustedText('张三: 已派人检查 1#高炉 (CO=24 ppm)')).toBe('张三: 已派人检查 1#高炉 (CO=24 ppm)');
  });

  it('never lets any string produce a control character or a line break (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 600 }), (s) => {
        expect(untrustedText(s)).not.toMatch(TERMINAL_CONTROL);
        expect(untrustedMultiline(s).split('\n').slice(1).every((l) => l.startsWith('    '))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('an operator comment cannot forge an alarm line or colour the console', () => {
    const lines: string[] = [];
    const reporter = new ConsoleReporter({ write: (l) => lines.push(l), summaryIntervalMs: 0, points: new PointRegistry(), readingsPublished: () => 0, annunciated: () => [], colour: true, scheduler: asyncScheduler });
    const line = reporter.alarmLine(event({ user: '张三\x1b[0m', comment: FORGED, message: '一氧化碳\n报警 #98' }));
    expect(line.split('\n')).toHaveLength(1);
    // Only the reporter's own colour (red for a critical alarm) and its reset remain.
    // eslint-disable-next-line no-control-regex -- matching control characters is the point: strips the reporter's own ANSI colour codes (ESC sequences)
    const withoutOwnColour = line.replace(/^\x1b\[31m/, '').replace(/\x1b\[0m$/, '');
    expect(withoutOwnColour).not.toMatch(TERMINAL_CONTROL);
    expect(line.match(/报警 #/g)).toHaveLength(3); // the real one plus the two quoted, escaped forgeries
    expect(line.startsWith('\x1b[31m')).toBe(true);
  });

  it('the logger keeps any message on its own line, indenting continuation lines', () => {
    const lines: string[] = [];
    consoleLogger('info', 'test', (l) => lines.push(l)).warn(`MQTT login refused for client ${FORGED}`, { user: FORGED });
    expect(lines).toHaveLength(1);
    const [first, ...rest] = lines[0]!.split('\n');
    expect(first).toMatch(/^\d{4}-\d\d-\d\dT.* WARN {2}\[test\] MQTT login refused/);
    for (const l of rest) expect(l.startsWith('    ')).toBe(true);
    expect(lines[0]!.replace(/\n/g, '')).not.toMatch(TERMINAL_CONTROL);
  });
});
