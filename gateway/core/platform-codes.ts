/**
 * Code lists the provincial platforms use (../shared/DOMAIN.md, "Monitored indicators" and the
 * steel platform's front-end). One module so every part of the gateway (uplink base data, config
 * validation, console) uses the same lists; a config may add codes these lists do not know yet
 * (uplink.codeLists), never change the meaning of a known one.
 */

/** Steel platform device-type codes (设备类型): code → Chinese name. */
export const EQUIPMENT_TYPE_CODES = {
  '01': '高炉',
  '02': '转炉',
  '07': '煤气柜',
  '08': '眼镜阀',
  '09': '水封式煤气排水器',
  '10': '连铸机',
  '11': '熔融金属起重机',
  '12': '熔融金属罐体',
  '13': '固定式一氧化碳报警器',
} as const satisfies Record<string, string>;
export type EquipmentTypeCode = keyof typeof EQUIPMENT_TYPE_CODES;

/** The device type of a fixed CO detector: its targets need a location type code. */
export const CO_DETECTOR_EQUIPMENT_TYPE: EquipmentTypeCode = '13';

/**
 * Fixed-CO location type codes (一氧化碳报警器安装位置类型): 10xx the six people-gathering rooms
 * and the locker room, 20xx leak / accumulation points. Codes between those DOMAIN.md names
 * (2003, 2004, 2006–2012, 2016–2018, 2020–2025) are not public: add them with uplink.codeLists.
 */
export const CO_LOCATION_TYPE_CODES = {
  '1001': '会议室',
  '1002': '活动室',
  '1003': '休息室',
  '1004': '操作室',
  '1005': '化验室',
  '1006': '交接班室',
  '1007': '更衣室',
  '2001': '焦炉、加热炉、煤气柜进出口管道地下室',
  '2002': '加压机房',
  '2005': '高炉风口及以上平台',
  '2013': 'TRT 煤气发电机房',
  '2014': '煤气除尘器卸灰平台',
  '2015': '转炉炉口以上平台',
  '2019': '煤气柜活塞上部',
  '2026': '真空精炼水封池',
  '2027': '机械真空泵房',
} as const satisfies Record<string, string>;
export type CoLocationTypeCode = keyof typeof CO_LOCATION_TYPE_CODES;

/** Threshold level of an alarm on the steel platform: −2 LL, −1 L, 1 H, 2 HH. */
export const THRESHOLD_LEVEL_CODES = { LL: -2, L: -1, H: 1, HH: 2 } as const;
export type ThresholdLevelCondition = keyof typeof THRESHOLD_LEVEL_CODES;

/** Alarm state on the steel platform: 0 normal, 1 yellow, 2 orange, 3 red. */
export const ALARM_STATE_CODES = { normal: 0, yellow: 1, orange: 2, red: 3 } as const;
export const ALARM_STATE_NAMES: Record<number, string> = { 0: '正常', 1: '黄色', 2: '橙色', 3: '红色' };

/** A code list with the config's additions; additions may not redefine a known code. */
export function extendCodeList(known: Readonly<Record<string, string>>, extra: Readonly<Record<string, string>> | undefined): Readonly<Record<string, string>> {
  return { ...(extra ?? {}), ...known };
}

/** The same list under the equipment packs' name (设备类型编码). */
export const DEVICE_TYPE_CODES = EQUIPMENT_TYPE_CODES;
export type DeviceTypeCode = EquipmentTypeCode;

/** 1001–1007: the six people-gathering rooms (locker room and bath counted as one, 1007). */
export const GATHERING_ROOM_CODES = Object.fromEntries(Object.entries(CO_LOCATION_TYPE_CODES).filter(([c]) => c.startsWith('10'))) as Readonly<Record<string, string>>;

/** 2001–2027: places where gas may leak or accumulate (only the codes DOMAIN.md names). */
export const GAS_RISK_PLACE_CODES = Object.fromEntries(Object.entries(CO_LOCATION_TYPE_CODES).filter(([c]) => c.startsWith('20'))) as Readonly<Record<string, string>>;

/** Every fixed-CO location code, under the packs' name. */
export const CO_LOCATION_CODES = CO_LOCATION_TYPE_CODES;
export type CoLocationCode = CoLocationTypeCode;

export function isGatheringRoom(code: string): boolean {
  return code in GATHERING_ROOM_CODES;
}
