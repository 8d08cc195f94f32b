import { Subject } from 'rxjs';
import type { Principal } from '../../auth/permissions.js';
import { HIDDEN_DANGER_STATE_NAMES, type DangerLevel, type ManageType } from '../../core/hidden-danger.js';
import type { Logger } from '../../core/logger.js';
import type { PlatformWarning } from '../../core/platform-warning.js';
import { WARNING_KIND_NAMES, WARNING_LEVEL_NAMES } from '../../core/platform-warning.js';
import type { DispatchRule, HiddenDangerSection, LiableRole } from './config.js';
import { MOVE_INPUTS, type AssessInput, type MoveInput, type MoveKind, type RegisterInput } from './inputs.js';
import { moveRefusal, STATE_MOVES, TRANSITION_NAMES, type HiddenDangerRecord } from './record.js';
import { HiddenDangerError, type Change, type HiddenDangerStore, type PhotoRow } from './store.js';

/** Reminders and escalations sent by one deadline check at most (the rest go at the next check). */
const MAX_NOTICES_PER_CHECK = 200;

/** A dispatch rule firing again on an alarm whose record is open is noted at most this often. */
const RETRIGGER_NOTE_MS = 3_600_000;

/** The user name of changes the gateway makes itself (dispatch, reminders, escalation, proposals). */
export const SYSTEM_USER = 'system';

/** What the loop needs to know about an alarm that opens a record. */
export interface AlarmFacts {
  alarmId: string;
  point: string;
  condition: string;
  severity: 1 | 2 | 3 | 4;
  area: string;
  message: string;
  value: number | boolean | null;
  unit: string;
}

export interface LoopDeps {
  store: HiddenDangerStore;
  config: HiddenDangerSection;
  now(): number;
  /** Equipment of a point, for responsibility by equipment. */
  equipmentOf(point: string): string | undefined;
  /**
   * The local point a warning's pointCode (the code the platform knows it by, uplink `points`)
   * names, so a warning about one point is a record at that point (its equipment, its trend).
   */
  pointOfCode?(code: string): string | undefined;
  log: Logger;
}

/**
 * The closed loop's rules on records: registration (by hand, by dispatch, by a warning from above),
 * the state moves with their role checks, links to alarms, closure proposals, reminders and
 * escalation. Every change goes through the store (one transaction with its history row) and then
 * out on changes$, for the uplink and the console.
 */
export class HiddenDangerLoop {
  private readonly subject = new Subject<Change>();
  readonly changes$ = this.subject.asObservable();

  constructor(private readonly d: LoopDeps) {}

  get store(): HiddenDangerStore {
    return this.d.store;
  }

  private emit(c: Change): Change {
    this.subject.next(c);
    return c;
  }

  /** Rectification deadline from a start time, by level and manage type. */
  deadlineFrom(from: number, level: DangerLevel, manageType: ManageType): number {
    const d = this.d.config.deadlines;
    return from + (manageType === 'immediate' ? d.immediate : d[level]);
  }

  /** The responsible person or role by area and equipment (hiddenDanger.responsible; the first match wins). */
  responsibleFor(area: string, equipment: string | undefined): { liablePerson?: string; liableRole?: LiableRole } {
    for (const r of this.d.config.responsible) {
      if (r.area !== undefined && r.area !== area) continue;
      if (r.equipment !== undefined && r.equipment !== equipment) continue;
      return { ...(r.person !== undefined ? { liablePerson: r.person } : {}), ...(r.role !== undefined ? { liableRole: r.role } : {}) };
    }
    return { liableRole: this.d.config.defaultLiableRole };
  }

  /** 登记 by hand. */
  register(input: RegisterInput, user: Principal): Change {
    const now = this.d.now();
    const equipment = input.equipment ?? (input.point ? this.d.equipmentOf(input.point) : undefined);
    return this.emit(
      this.d.store.create({
        dangerName: input.dangerName,
        dangerDesc: input.dangerDesc,
        dangerLevel: input.dangerLevel,
        dangerSrc: input.dangerSrc,
        dangerManageType: input.dangerManageType,
        ...(input.hazardDangerType ? { hazardDangerType: input.hazardDangerType } : {}),
        ...(input.dangerReason ? { dangerReason: input.dangerReason } : {}),
        area: input.area,
        ...(equipment ? { equipment } : {}),
        ...(input.point ? { point: input.point } : {}),
        ...this.responsibleFor(input.area, equipment),
        dangerManageDeadline: this.deadlineFrom(now, input.dangerLevel, input.dangerManageType),
        registrant: user.name,
        registTime: now,
        alarmIds: input.alarmIds,
      }),
    );
  }

  /**
   * Opens a record for an alarm a dispatch rule caught, or, when the alarm already has an open
   * record (the dedup key), notes the new trigger on that record and opens nothing.
   */
  openFromAlarm(rule: DispatchRule, alarm: AlarmFacts, reason: string): Change | undefined {
    const now = this.d.now();
    const existing = this.d.store.openRecordForAlarm(alarm.alarmId);
    if (existing) {
      // A chattering alarm re-triggers every minute: note it at most once an hour per rule.
      const tag = `规则 ${rule.id}`;
      const last = [...this.d.store.history(existing)].reverse().find((h) => (h.kind === 'link' || h.kind === 'register') && h.comment?.includes(tag));
      if (last && now - last.ts < RETRIGGER_NOTE_MS) return undefined;
      return this.emit(this.d.store.change(existing, 'link', SYSTEM_USER, now, () => ({}), { comment: `报警再次触发派单规则 ${rule.id}：${reason}` }));
    }
    const level: DangerLevel = rule.level === 'bySeverity' ? (alarm.severity === 4 ? 'major' : 'general') : rule.level;
    const equipment = this.d.equipmentOf(alarm.point);
    const name = (rule.name ?? alarm.message).replaceAll('{alarm}', alarm.alarmId).replaceAll('{point}', alarm.point).slice(0, 200);
    const responsible = rule.liablePerson || rule.liableRole ? { ...(rule.liablePerson ? { liablePerson: rule.liablePerson } : {}), ...(rule.liableRole ? { liableRole: rule.liableRole } : {}) } : this.responsibleFor(alarm.area, equipment);
    const change = this.d.store.create(
      {
        dangerName: name,
        dangerDesc: `${reason}。报警：${alarm.message}（${alarm.alarmId}，当前值 ${String(alarm.value)}${alarm.unit}）`.slice(0, 4000),
        dangerLevel: level,
        dangerSrc: 'monitoring',
        dangerManageType: rule.manageType,
        ...(rule.hazardType ? { hazardDangerType: rule.hazardType } : {}),
        area: alarm.area,
        ...(equipment ? { equipment } : {}),
        point: alarm.point,
        ...responsible,
        dangerManageDeadline: this.deadlineFrom(now, level, rule.manageType),
        registrant: SYSTEM_USER,
        registTime: now,
        alarmIds: [alarm.alarmId],
        dispatchRule: rule.id,
      },
      { comment: `自动派单（规则 ${rule.id}）：${reason}` },
    );
    this.d.log.info(`隐患自动派单 [hidden danger dispatched] ${change.after.id} ${change.after.dangerName} → ${change.after.liablePerson ?? change.after.liableRole ?? ''}（规则 ${rule.id}）`);
    return this.emit(change);
  }

  /** A warning from above becomes a record with source 监测预警 (once per warningId). */
  fromWarning(w: PlatformWarning): Change | undefined {
    if (this.d.store.recordForWarning(w.warningId)) return undefined;
    const now = this.d.now();
    const level: DangerLevel = w.level === 4 ? 'major' : 'general';
    const area = this.d.config.warningArea;
    const point = w.pointCode !== undefined ? this.d.pointOfCode?.(w.pointCode) : undefined;
    const equipment = point !== undefined ? this.d.equipmentOf(point) : undefined;
    const change = this.d.store.create(
      {
        dangerName: w.title.slice(0, 200),
        dangerDesc: `${w.issuer}下发${WARNING_LEVEL_NAMES[w.level]}预警（${WARNING_KIND_NAMES[w.kind]}）：${w.content}`.slice(0, 4000),
        dangerLevel: level,
        dangerSrc: 'monitoring',
        dangerManageType: 'deadline',
        area,
        ...(equipment ? { equipment } : {}),
        ...(point !== undefined ? { point } : {}),
        ...this.responsibleFor(area, equipment),
        dangerManageDeadline: w.feedbackDeadline ?? this.deadlineFrom(now, level, 'deadline'),
        registrant: SYSTEM_USER,
        registTime: now,
        alarmIds: [],
        warningId: w.warningId,
      },
      { warningId: w.warningId, comment: `上级预警 ${w.warningId}（${w.issuer}）` },
    );
    this.d.log.info(`上级预警转为隐患 [platform warning became a record] ${w.warningId} → ${change.after.id}`);
    return this.emit(change);
  }

  /** A state move by a person: role, area and state are checked, then it is committed with its history. */
  move<K extends MoveKind>(id: string, kind: K, raw: MoveInput<K>, user: Principal): Change {
    const now = this.d.now();
    const spec = STATE_MOVES[kind]!;
    // The API parsed it already; other callers (CLI, tests, scripts) get the same checks here.
    const parsed = MOVE_INPUTS[kind].safeParse(raw);
    if (!parsed.success) throw new HiddenDangerError(`输入无效 [invalid ${kind}]: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`, 400);
    const input = parsed.data as MoveInput<K>;
    const change = this.d.store.change(
      id,
      kind,
      user.name,
      now,
      (r) => {
        const refusal = moveRefusal(user, kind, r);
        if (refusal) throw new HiddenDangerError(refusal, 403);
        if (!spec.from.includes(r.state)) throw new HiddenDangerError(`当前状态为「${HIDDEN_DANGER_STATE_NAMES[r.state]}」，不能${TRANSITION_NAMES[kind]} [record ${id} is ${r.state}; ${kind} needs ${spec.from.join(' or ')}]`);
        return { ...this.patch(kind, input, r, user.name, now), state: spec.to, escalation: undefined };
      },
      { comment: commentOf(kind, input) },
    );
    return this.emit(change);
  }

  private patch(kind: MoveKind, input: MoveInput<MoveKind>, r: HiddenDangerRecord, user: string, now: number): Partial<HiddenDangerRecord> {
    switch (kind) {
      case 'assess': {
        const a = input as AssessInput;
        return {
          dangerLevel: a.dangerLevel,
          dangerManageType: a.dangerManageType,
          controlMeasures: a.controlMeasures,
          ...(a.dangerReason !== undefined ? { dangerReason: a.dangerReason } : {}),
          ...(a.hazardDangerType !== undefined ? { hazardDangerType: a.hazardDangerType } : {}),
          ...(a.cost !== undefined ? { cost: a.cost } : {}),
          ...(a.liablePerson !== undefined ? { liablePerson: a.liablePerson } : {}),
          ...(a.liableRole !== undefined ? { liableRole: a.liableRole } : {}),
          ...(a.fiveImplementations !== undefined ? { fiveImplementations: a.fiveImplementations } : {}),
          ...(a.supervision !== undefined ? { supervision: a.supervision } : {}),
          dangerManageDeadline: a.deadline ?? this.deadlineFrom(r.registTime, a.dangerLevel, a.dangerManageType),
          assessedBy: user,
          assessedAt: now,
        };
      }
      case 'start':
        return { rectifyStartedBy: user };
      case 'submit': {
        const s = input as MoveInput<'submit'>;
        return { rectification: s.rectification, rectifiedBy: user, rectifiedAt: now, ...(s.cost !== undefined ? { cost: s.cost } : {}) };
      }
      case 'accept': {
        const a = input as MoveInput<'accept'>;
        return { checkAcceptPerson: user, checkAcceptTime: now, checkAcceptComment: a.comment, closedAt: now };
      }
      case 'reject': {
        const j = input as MoveInput<'reject'>;
        return { rejectReason: j.reason, rejections: r.rejections + 1, closureProposal: undefined };
      }
    }
  }

  /** 建议销号 (once per submission): the record still needs a person's acceptance. */
  proposeClosure(id: string, reason: string): Change | undefined {
    const r = this.d.store.get(id);
    if (!r || r.state !== 'awaiting_acceptance' || r.closureProposal) return undefined;
    return this.emit(this.d.store.change(id, 'propose_closure', SYSTEM_USER, this.d.now(), () => ({ closureProposal: { at: this.d.now(), reason } }), { comment: reason }));
  }

  /** Adds a photo row to a record (the file is already written). */
  addPhoto(id: string, photo: PhotoRow, user: Principal): Change {
    return this.emit(this.d.store.change(id, 'photo', user.name, this.d.now(), () => ({}), { photo, comment: `${photo.phase === 'before' ? '整改前' : '整改后'}照片 ${photo.file}` }));
  }

  /**
   * Reminders before the deadline and the escalation chain after it, for every record whose deadline
   * runs; each is sent once (hd_notice) and is itself a change of the record (history, uplink).
   * Returns the overdue records (id and level). Only records within reach of a reminder are looked
   * at, from the indexed columns: 10,000 open records cost a few milliseconds, not a parse of each.
   */
  checkDeadlines(): { id: string; level: 'general' | 'major' }[] {
    const now = this.d.now();
    const overdue: { id: string; level: 'general' | 'major' }[] = [];
    const { reminders, escalation } = this.d.config;
    const store = this.d.store;
    const horizon = now + Math.max(0, ...reminders);
    const sent = store.candidateNotices(horizon);
    // A burst (thousands of records overdue at once) is spread over several checks, so one check
    // never holds the event loop for long; the rest follow a minute later.
    let budget = MAX_NOTICES_PER_CHECK;
    for (const r of store.deadlineCandidates(horizon)) {
      const deadline = r.deadline;
      for (const before of reminders) {
        const key = `remind:${before}`;
        if (now >= deadline - before && now < deadline && !sent.has(`${r.id}|${key}`) && budget-- > 0) {
          const change = this.emit(store.change(r.id, 'remind', SYSTEM_USER, now, () => ({}), { notice: key, comment: `整改期限提醒：将于 ${formatCn(deadline)} 到期` }));
          this.d.log.info(`整改期限提醒：隐患 ${r.id}「${change.after.dangerName}」将于 ${formatCn(deadline)} 到期 → ${change.after.liablePerson ?? change.after.liableRole ?? ''}`);
        }
      }
      if (now <= deadline) continue;
      overdue.push({ id: r.id, level: r.level });
      // Each state has its own chain: a record that advanced starts again (delays from when it did).
      const from = Math.max(deadline, r.stateSince);
      escalation.forEach((stage, i) => {
        const key = `escalate:${r.state}:${i}`;
        if (now < from + stage.after || sent.has(`${r.id}|${key}`) || budget-- <= 0) return;
        const to = stage.to === 'safetyHead' ? (this.d.config.safetyHead ?? 'admin') : stage.to;
        const whom = to === this.d.config.safetyHead ? `企业安全负责人 ${to}` : (ROLE_NAMES[to] ?? to);
        const change = store.change(r.id, 'escalate', SYSTEM_USER, now, (cur) => ({ escalation: { stage: i, to: [...new Set([...(cur.escalation?.to ?? []), to])], at: now } }), { notice: key, comment: `隐患 ${r.id} 逾期未整改，升级至${whom}` });
        this.emit(change);
        this.d.log.warn(`隐患 ${r.id}「${change.after.dangerName}」逾期未整改，升级至${whom}`);
      });
    }
    return overdue;
  }

  /** Replays records whose latest revision the uplink may not have (after a crash between commit and hand-over). */
  unsent(): HiddenDangerRecord[] {
    return this.d.store.unsent();
  }
}

const ROLE_NAMES: Record<string, string> = { operator: '操作员', supervisor: '值班长', engineer: '工程师', admin: '管理员' };

function commentOf(kind: MoveKind, input: MoveInput<MoveKind>): string | undefined {
  const i = input as { comment?: string; reason?: string; rectification?: string };
  if (kind === 'reject') return i.reason;
  if (kind === 'submit') return i.rectification;
  return i.comment;
}

/** A time as operators read it (UTC+8). */
export function formatCn(ts: number): string {
  return new Date(ts + 8 * 3_600_000).toISOString().slice(0, 16).replace('T', ' ');
}
