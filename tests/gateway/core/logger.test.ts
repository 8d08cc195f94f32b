import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../gateway/core/logger.js';

function capture(format: 'json' | 'pretty', level: 'debug' | 'info' | 'warn' = 'info') {
  const lines: string[] = [];
  const log = createLogger({ format, level, component: 'gateway', colour: false, write: (l) => lines.push(l) });
  return { log, lines };
}

describe('logger', () => {
  it('json: one parseable object per line with level, time, component and the caller’s fields', () => {
    const { log, lines } = capture('json');
    log.child('modbus:press1').warn('通讯中断 [communication lost]', { unit: 3, attempts: 2 });
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain('\n');
    const o = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(o).toMatchObject({ level: 'warn', component: 'gateway/modbus:press1', msg: '通讯中断 [communication lost]', unit: 3, attempts: 2 });
    expect(new Date(String(o['time'])).getTime()).toBeGreaterThan(0);
  });

  it('a child of a child names the whole path once', () => {
    const { log, lines } = capture('json');
    log.child('a').child('b').info('x');
    expect(lines[0]!.match(/"component"/g)).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ component: 'gateway/a/b' });
  });

  it('an Error in the fields is written with its message and stack, not as {}', () => {
    const { log, lines } = capture('json');
    log.error('写入失败', { error: new Error('connection refused') });
    const o = JSON.parse(lines[0]!) as { error: { message: string; stack: string } };
    expect(o.error.message).toBe('connection refused');
    expect(o.error.stack).toContain('logger.test.ts');
  });

  it('pretty: one readable line with time, level, component, message and the fields', () => {
    const { log, lines } = capture('pretty');
    log.child('uplink').warn('上报失败', { seq: 7 });
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z WARN {2}\[gateway\/uplink\] 上报失败 \{"seq":7\}$/);
  });

  it('drops lines below the configured level', () => {
    const { log, lines } = capture('json', 'warn');
    log.debug('d');
    log.info('i');
    log.warn('w');
    log.error('e');
    expect(lines.map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(['w', 'e']);
  });
});
