import { describe, expect, it } from 'vitest';
import { beijingTime, dangerRecordSchema, toDangerRecord, withDangerRecord } from '../../../gateway/uplink/danger-record.js';
import { envelopeBodyProblem, outgoing, type Envelope } from '../../../gateway/uplink/envelope.js';
import { CREDIT_CODE } from './fixtures.js';
import { T0, dangerReport } from './danger-fixtures.js';

describe('hidden-danger record in the interface names and codes', () => {
  it('maps a 重大隐患 with 五落实 and 挂牌督办 field by field (golden)', () => {
    const record = toDangerRecord(
      dangerReport({
        revision: 4,
        state: 'closed',
        hazardDangerType: '煤气安全',
        dangerReason: '活塞密封老化',
        controlMeasures: '加强巡检，设置警戒区',
        cost: 12000,
        liablePerson: '李四',
        dangerManageDeadline: T0 + 7 * 86_400_000,
        checkAcceptPerson: '王五',
        checkAcceptTime: T0 + 5 * 86_400_000 + 3_600_000,
        checkAcceptComment: '复测合格，同意销号',
        photosBefore: ['a1.jpg', 'a2.jpg'],
        photosAfter: ['b1.jpg'],
        companyName: '某某钢铁有限公司',
        fiveImplementations: { responsibility: '设备部', measures: '更换密封', funds: '1.2万元', deadline: T0 + 6 * 86_400_000, contingencyPlan: '煤气泄漏专项预案' },
        supervision: { authority: '某某县应急管理局', deadline: T0 + 10 * 86_400_000 },
        alarmIds: ['gh1.co:HH', 'gh1.co:H'],
        warningId: 'W-7',
        updatedBy: '王五',
      }),
    );
    expect(record).toEqual({
      DANGER_ID: 'HD-2026-0001',
      REVISION: 4,
      DANGER_NAME: '1#煤气柜活塞上部一氧化碳浓度超标',
      DANGER_LEVEL: '1',
      DANGER_SRC: '11',
      DANGER_SRC_NAME: '监测预警',
      DANGER_MANAGE_TYPE: '1',
      HAZARD_DANGER_TYPE: '煤气安全',
      DANGER_DESC: '一氧化碳高高报持续超过5分钟',
      DANGER_REASON: '活塞密封老化',
      CONTROL_MEASURES: '加强巡检，设置警戒区',
      COST: 12000,
      LIABLE_PERSON: '李四',
      DANGER_MANAGE_DEADLINE: '2026-03-08 08:00:00',
      REGISTRANT: 'system',
      REGIST_TIME: '2026-03-01 08:00:00',
      CHECK_ACCEPT_PERSON: '王五',
      CHECK_ACCEPT_TIME: '2026-03-06 09:00:00',
      CHECK_ACCEPT_COMMENT: '复测合格，同意销号',
      DANGER_STATE: '9',
      DANGER_STATE_NAME: '已验收销号',
      ATTACHMENTS1: 'a1.jpg,a2.jpg',
      ATTACHMENTS2: 'b1.jpg',
      COMPANY_CODE: CREDIT_CODE,
      COMPANY_NAME: '某某钢铁有限公司',
      RECTIFY_RESPONSIBILITY: '设备部',
      RECTIFY_MEASURES: '更换密封',
      RECTIFY_FUNDS: '1.2万元',
      RECTIFY_DEADLINE: '2026-03-07 08:00:00',
      CONTINGENCY_PLAN: '煤气泄漏专项预案',
      SUPERVISE_AUTHORITY: '某某县应急管理局',
      SUPERVISE_DEADLINE: '2026-03-11 08:00:00',
      ALARM_IDS: 'gh1.co:HH,gh1.co:H',
      WARNING_ID: 'W-7',
      UPDATE_TIME: '2026-03-01 08:00:00',
      UPDATE_BY: '王五',
    });
    expect(dangerRecordSchema.parse(record)).toEqual(record);
  });

  it('codes every state, level, source and management type; leaves out what the record lacks', () => {
    const states = (['registered', 'assessed', 'rectifying', 'awaiting_acceptance', 'closed'] as const).map((state) => toDangerRecord(dangerReport({ state })).DANGER_STATE);
    expect(states).toEqual(['0', '0', '0', '1', '9']);
    const minimal = toDangerRecord(dangerReport({ dangerLevel: 'general', dangerSrc: 'daily', dangerManageType: 'immediate' }));
    expect([minimal.DANGER_LEVEL, minimal.DANGER_SRC, minimal.DANGER_SRC_NAME, minimal.DANGER_MANAGE_TYPE]).toEqual(['0', '1', '日常排查', '0']);
    expect(Object.keys(minimal)).not.toContain('COST');
    expect(Object.keys(minimal)).not.toContain('SUPERVISE_AUTHORITY');
    expect(minimal.ATTACHMENTS1).toBe('');
  });

  it('Beijing time across the date line of UTC', () => {
    expect(beijingTime(Date.UTC(2026, 11, 31, 16, 30, 5))).toBe('2027-01-01 00:30:05');
  });

  it('the envelope of a record carries exactly its document; the government form replaces it with the record', () => {
    const e: Envelope = { dataId: '3b1f8a52-2f0c-4c57-9a43-5c8e0f6f7d21', seq: 7, type: 'hidden_danger', enterpriseCode: CREDIT_CODE, gatewayCode: 'gw-1', timestamp: T0, historical: false, items: [], hiddenDanger: dangerReport() };
    const json = outgoing(e).json;
    expect(JSON.parse(json)).toEqual(e);
    expect(envelopeBodyProblem(e)).toBeUndefined();
    const coded = JSON.parse(withDangerRecord(json)) as Envelope;
    expect(coded.hiddenDanger).toBeUndefined();
    expect(coded.dangerRecord!.DANGER_ID).toBe('HD-2026-0001');
    expect(envelopeBodyProblem(coded)).toBeUndefined();
    expect(envelopeBodyProblem({ ...e, hiddenDanger: undefined })).toMatch(/exactly one of hiddenDanger \/ dangerRecord/);
    expect(envelopeBodyProblem({ ...e, type: 'alarm' })).toMatch(/alarm message carries no hiddenDanger/);
    expect(envelopeBodyProblem({ ...e, type: 'warning_feedback' })).toMatch(/warningFeedback/);
  });
});
