/**
 * Code lists of the steel-industry safety-risk monitoring platform (钢铁企业安全风险监测预警系统), as
 * ../shared/DOMAIN.md records them: equipment (device) type codes and the location type codes of fixed
 * CO detectors. Only codes DOMAIN.md names are listed; a platform's access spec may define more.
 */

/** 设备类型编码: the steel platform's equipment type codes 01–13. */
export const DEVICE_TYPE_CODES = {
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
export type DeviceTypeCode = keyof typeof DEVICE_TYPE_CODES;

/** 1001–1007: the six people-gathering rooms (locker room and bath counted as one, 1007). */
export const GATHERING_ROOM_CODES = {
  '1001': '会议室',
  '1002': '活动室',
  '1003': '休息室',
  '1004': '操作室',
  '1005': '化验室',
  '1006': '交接班室',
  '1007': '更衣室',
} as const satisfies Record<string, string>;

/** 2001–2027: places where gas may leak or accumulate (only the codes DOMAIN.md names). */
export const GAS_RISK_PLACE_CODES = {
  '2001': '焦炉/加热炉/煤气柜进出口管道地下室',
  '2002': '加压机房',
  '2005': '高炉风口及以上平台',
  '2013': 'TRT煤气发电机房',
  '2014': '煤气除尘器卸灰平台',
  '2015': '转炉炉口以上平台',
  '2019': '煤气柜活塞上部',
  '2026': '真空精炼水封池',
  '2027': '机械真空泵房',
} as const satisfies Record<string, string>;

/** 固定式一氧化碳报警器安装位置类型编码. */
export const CO_LOCATION_CODES = { ...GATHERING_ROOM_CODES, ...GAS_RISK_PLACE_CODES } as const;
export type CoLocationCode = keyof typeof CO_LOCATION_CODES;

export function isGatheringRoom(code: string): boolean {
  return code in GATHERING_ROOM_CODES;
}
