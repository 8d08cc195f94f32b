import type { HiddenDangerReport } from '../../../gateway/core/hidden-danger.js';
import type { PlatformWarning, WarningFeedback } from '../../../gateway/core/platform-warning.js';
import { CREDIT_CODE } from './fixtures.js';

/** 2026-03-01 08:00:00 Beijing time. */
export const T0 = Date.UTC(2026, 2, 1, 0, 0, 0);

/** A hidden-danger record as the hidden-danger service would hand it over. */
export function dangerReport(over: Partial<HiddenDangerReport> = {}): HiddenDangerReport {
  return {
    dangerId: 'HD-2026-0001',
    revision: 1,
    dangerName: '1#煤气柜活塞上部一氧化碳浓度超标',
    dangerLevel: 'major',
    dangerSrc: 'monitoring',
    dangerManageType: 'deadline',
    dangerDesc: '一氧化碳高高报持续超过5分钟',
    registrant: 'system',
    registTime: T0,
    state: 'registered',
    photosBefore: [],
    photosAfter: [],
    companyCode: CREDIT_CODE,
    alarmIds: ['gh1.co:HH'],
    updatedAt: T0,
    updatedBy: 'system',
    ...over,
  };
}

export function platformWarning(warningId: string, over: Partial<PlatformWarning> = {}): PlatformWarning {
  return {
    warningId,
    enterpriseCode: CREDIT_CODE,
    gatewayCode: 'gw-test',
    issuer: '某某县应急管理局监测中心',
    issuedAt: T0,
    level: 3,
    kind: 'repeated_alarm',
    title: '1#煤气柜一氧化碳反复报警',
    content: '24小时内同一测点报警7次，请核查处置并反馈',
    pointCode: 'CO-2019-01',
    ...over,
  };
}

export function feedback(warningId: string, over: Partial<WarningFeedback> = {}): WarningFeedback {
  return { warningId, state: 'answered', hazardId: 'HD-2026-0001', content: '已更换密封并复测合格', handledBy: 'zhangsan', at: T0 + 3_600_000, ...over };
}
