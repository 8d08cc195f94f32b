import type { Observable, SchedulerLike } from 'rxjs';
import type { z } from 'zod';
import type { Reading } from '../gateway/core/reading.js';
import type { AlarmDefinition, ConditionUpdate } from '../gateway/core/condition.js';
import type { PointDefinition } from '../gateway/core/point.js';

export type { ConditionUpdate, AlarmDefinition } from '../gateway/core/condition.js';

export interface RuleContext {
  point$(pointId: string): Observable<Reading>;
  point(pointId: string): PointDefinition;
  scheduler: SchedulerLike;
}

/** A kind of rule: its config schema and how it becomes alarms and an operator. */
export interface RuleKind<S extends z.ZodType<{ id: string; kind: string }>> {
  readonly kind: string;
  readonly schema: S;
  /** Point ids the rule reads; checked against the config's points. */
  inputs(rule: z.infer<S>): string[];
  alarms(rule: z.infer<S>, points: ReadonlyMap<string, PointDefinition>): AlarmDefinition[];
  /**
   * Problems only visible with the points at hand (a missing range, a wrong unit). Paths are
   * relative to the rule; the config loader reports them as config errors.
   */
  check?(rule: z.infer<S>, points: ReadonlyMap<string, PointDefinition>): { path: (string | number)[]; message: string }[];
  build(rule: z.infer<S>, ctx: RuleContext): Observable<ConditionUpdate>;
}

export const CONDITION_LABELS: Record<string, string> = {
  HH: '高高报',
  H: '高报',
  L: '低报',
  LL: '低低报',
  ROC: '变化率报警',
  ROC_RISE: '上升速率报警',
  ROC_FALL: '下降速率报警',
  DEV: '偏差报警',
  FAULT: '故障报警',
  STATE: '状态报警',
  STALE: '数据停滞',
  FROZEN: '数据冻结',
  BAD_QUALITY: '数据质量坏',
  COMM: '通讯中断',
  INTERLOCK: '联锁报警',
  BYPASS: '联锁未投入',
  STEL: '短时间接触超限',
  TWA: '时间加权平均超限',
  TIME_AT_LEVEL: '超时接触',
  EXPR: '组合条件报警',
  VOTE: '表决报警',
  DESIGN_MAX: '设定值超设计最高值',
  DESIGN_PRESSURE: '设定值超设计压力',
  CONFIG: '配置隐患',
  SEQUENCE: '作业程序违规',
  MONITOR: '监测中断',
  SPARK: '火花报警',
  NOT_READY: '装置故障',
  FAN: '风机未联锁启动',
  ATTENDANT: '监护人不在场',
  OUT_OF_BAND: '作业中读数越限',
};

export function conditionLabel(condition: string): string {
  return CONDITION_LABELS[condition] ?? condition;
}
