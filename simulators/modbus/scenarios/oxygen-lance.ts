import { analog, between, bit, type Scenario } from './scenario.js';

/**
 * A converter oxygen lance (转炉氧枪), 判定标准 第四条(四): oxygen pressure low 10–20 s; inlet flow low
 * 25–35 s; 40–60 s a leak (outlet flow 10 m³/h short) that the lance lift does not follow until 55 s;
 * outlet temperature 55 °C 65–75 s; lift and tilt interlocks off while blowing 80–90 s and 95–105 s.
 */
export const oxygenLanceScenario: Scenario = {
  description: '转炉氧枪: 氧压低, 进水流量低, 进出水流量差大且氧枪未自动提升, 出水温度高, 提枪/倾动联锁解除',
  config: 'scenario-oxygen-lance.yaml',
  cycleS: 120,
  signals: {
    'bof1.o2p': analog(0, (t) => (between(t, 10, 20) ? 0.6 : 1.0)),
    'bof1.win': analog(2, (t) => (between(t, 25, 35) ? 90 : 120)),
    'bof1.wout': analog(4, (t) => (between(t, 25, 35) ? 89 : between(t, 40, 60) ? 110 : 119)),
    'bof1.tout': analog(6, (t) => (between(t, 65, 75) ? 55 : 40)),
    'bof1.blowing': bit(0, () => true),
    'bof1.lift_armed': bit(1, (t) => !between(t, 80, 90)),
    'bof1.lance_up': bit(2, (t) => between(t, 55, 62)),
    'bof1.tilt_armed': bit(3, (t) => !between(t, 95, 105)),
  },
  expect: [
    { alarmId: 'bof1.o2p:L', after: 10 },
    { alarmId: 'bof1.win:L', after: 25 },
    { alarmId: 'bof1.flow-difference:DEV', after: 40 },
    { alarmId: 'bof1.lance-lift-demand:INTERLOCK', after: 45 },
    { alarmId: 'bof1.tout:H', after: 65 },
    { alarmId: 'bof1.lance-lift-armed:BYPASS', after: 80 },
    { alarmId: 'bof1.tilt-armed:BYPASS', after: 95 },
  ],
};
