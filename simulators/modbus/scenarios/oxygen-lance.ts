import { analog, between, bit, type Scenario } from './scenario.js';

/**
 * Water-cooled elements of steelmaking furnaces, 判定标准 第四条(四).
 *
 * 1# converter oxygen lance (转炉氧枪): oxygen pressure low 10–20 s; inlet flow low 25–35 s; 40–60 s a
 * leak (outlet flow 10 m³/h short) that the lance lift does not follow until 55 s and the tilt
 * interlock blocks the tilt drive only at 58 s; outlet temperature 55 °C 65–75 s; lift and tilt
 * interlocks off while blowing 80–90 s and 95–105 s.
 *
 * 1# electric arc furnace (电弧炉) water-cooled roof and panels: outlet water 62 °C (above HH) 40–70 s
 * while the electrodes stay energised until 64 s (power-off interlock fails to act); the power-off
 * interlock is switched off while melting 80–100 s.
 */
export const oxygenLanceScenario: Scenario = {
  description: '转炉氧枪/电弧炉水冷元件: 氧压低, 进水流量低, 漏水时氧枪未自动提升且炉体倾动未闭锁, 出水温度高; 电弧炉出水超温而电极未断电, 提枪/倾动/断电联锁解除',
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
    'bof1.tilt_blocked': bit(4, (t) => between(t, 58, 62)),
    'eaf1.win': analog(10, () => 80),
    'eaf1.wout': analog(12, () => 79.5),
    'eaf1.tout': analog(14, (t) => (between(t, 40, 70) ? 62 : 42)),
    'eaf1.melting': bit(10, () => true),
    'eaf1.poff_armed': bit(11, (t) => !between(t, 80, 100)),
    'eaf1.power_off': bit(12, (t) => between(t, 64, 72)),
  },
  expect: [
    { alarmId: 'bof1.o2p:L', after: 10 },
    { alarmId: 'bof1.win:L', after: 25 },
    { alarmId: 'bof1.flow-difference:DEV', after: 40 },
    { alarmId: 'bof1.lance-lift-demand:INTERLOCK', after: 45 },
    { alarmId: 'bof1.tilt-demand:INTERLOCK', after: 45 },
    { alarmId: 'bof1.tout:H', after: 65 },
    { alarmId: 'bof1.lance-lift-armed:BYPASS', after: 80 },
    { alarmId: 'bof1.tilt-armed:BYPASS', after: 95 },
    { alarmId: 'eaf1.tout:HH', after: 40 },
    { alarmId: 'eaf1.power-off-demand:INTERLOCK', after: 45 },
    { alarmId: 'eaf1.power-off-armed:BYPASS', after: 80 },
  ],
};
