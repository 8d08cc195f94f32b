import type { Command } from '../command.js';
import { parseArgs } from 'node:util';
import { sendControl } from '../../control/client.js';
import type { AlarmsResponse, ControlRequest } from '../../control/protocol.js';
import { STATE_LABELS } from '../../alarms/messages.js';
import type { AlarmState } from '../../core/alarm-event.js';
import { resolveControlTarget } from '../data-dir.js';
import { untrustedText } from '../../core/untrusted-text.js';

const COMMON = '[--data-dir <dir> | --config <file>] [--socket <path>]';

const commonOptions = {
  'data-dir': { type: 'string' },
  config: { type: 'string', short: 'c' },
  socket: { type: 'string' },
  /** Refused with an explanation: the gateway names the OS user itself. */
  user: { type: 'string', short: 'u' },
  comment: { type: 'string' },
  reason: { type: 'string', short: 'r' },
  for: { type: 'string' },
  area: { type: 'string' },
  all: { type: 'boolean' },
  json: { type: 'boolean' },
} as const;

function printResponse(res: AlarmsResponse, json: boolean): number {
  if (json) {
    console.log(JSON.stringify(res));
    return res.ok ? 0 : 1;
  }
  if (!res.ok) {
    console.error(`拒绝 (refused): ${untrustedText(res.error)}`);
    return 1;
  }
  if (res.alarms.length === 0) console.log('无 (none)');
  for (const a of res.alarms) {
    const when = new Date(a.ts).toLocaleString('zh-CN', { hour12: false });
    const until = a.shelvedUntil ? ` 搁置至 ${new Date(a.shelvedUntil).toLocaleTimeString('zh-CN', { hour12: false })}` : '';
    console.log(`${(STATE_LABELS[a.state as AlarmState] ?? a.state).padEnd(6)} ${untrustedText(a.alarmId, 200).padEnd(28)} ${when}  ${untrustedText(a.message)}${until}`);
  }
  return 0;
}

/** A command that sends one request built from its arguments to the running gateway. */
function action(summary: string, usage: string, build: (pos: string[], o: Record<string, string | boolean | undefined>) => ControlRequest): Command {
  return {
    summary,
    usage: `${usage} ${COMMON}`,
    async run(argv) {
      let parsed;
      try {
        parsed = parseArgs({ args: argv, options: commonOptions, allowPositionals: true, strict: true });
      } catch (e) {
        throw new Error(`${(e as Error).message}\nusage: npm run gateway -- ${usage} ${COMMON}`, { cause: e });
      }
      const o = parsed.values as Record<string, string | boolean | undefined>;
      if (o.user !== undefined) {
        throw new Error('--user is no longer accepted: the gateway names you by the OS user running this command and acts as the gateway user linked to it (an admin links it: users link-os <osuser> <gatewayuser>)');
      }
      const request = build(parsed.positionals, o);
      const target = resolveControlTarget(parsed.values);
      const res = await sendControl(target.dataDir, request, { socket: target.socket });
      return printResponse(res, Boolean(o.json));
    },
  };
}

const str = (v: string | boolean | undefined) => (typeof v === 'string' ? v : undefined);
function need(v: string | undefined, what: string, usage: string): string {
  if (!v) throw new Error(`${what} is required\nusage: npm run gateway -- ${usage}`);
  return v;
}

export const alarms = action('list alarms that are not normal (--all: every alarm)', 'alarms [--all] [--json]', (_p, o) => ({ op: 'list', all: Boolean(o.all) }));

export const ack = action('acknowledge an alarm, or every alarm of an area', 'ack <alarmId> | --area <area> [--comment <text>]', (p, o) => {
  const usage = 'ack <alarmId> | --area <area>';
  const area = str(o.area);
  if (area) return { op: 'ackArea', area, comment: str(o.comment) };
  return { op: 'ack', alarmId: need(p[0], 'alarm id', usage), comment: str(o.comment) };
});

export const shelve = action('shelve an alarm (timed with --for, else one-shot until it clears)', 'shelve <alarmId> --reason <text> [--for 30m]', (p, o) => {
  const usage = 'shelve <alarmId> --reason <text> [--for 30m]';
  return { op: 'shelve', alarmId: need(p[0], 'alarm id', usage), reason: need(str(o.reason), '--reason', usage), duration: str(o.for) };
});

export const unshelve = action('end the shelving of an alarm', 'unshelve <alarmId> [--reason <text>]', (p, o) => ({
  op: 'unshelve',
  alarmId: need(p[0], 'alarm id', 'unshelve <alarmId>'),
  reason: str(o.reason),
}));

export const disable = action('take an alarm out of service (maintenance)', 'disable <alarmId> --reason <text>', (p, o) => {
  const usage = 'disable <alarmId> --reason <text>';
  return { op: 'outOfService', alarmId: need(p[0], 'alarm id', usage), reason: need(str(o.reason), '--reason', usage) };
});

export const enable = action('return an alarm to service', 'enable <alarmId> [--reason <text>]', (p, o) => ({
  op: 'inService',
  alarmId: need(p[0], 'alarm id', 'enable <alarmId>'),
  reason: str(o.reason),
}));

export const comment = action('add a comment to an alarm journal', 'comment <alarmId> --comment <text>', (p, o) => {
  const usage = 'comment <alarmId> --comment <text>';
  return { op: 'comment', alarmId: need(p[0], 'alarm id', usage), comment: need(str(o.comment), '--comment', usage) };
});
