import type { QualityCode } from '../../gateway/core/quality.js';

/**
 * OPC UA status code → Reading quality. Pure: takes the 32-bit code and its name (node-opcua
 * gives both), so it is tested without a server.
 *
 * The top two bits are the severity (00 Good, 01 Uncertain, 10/11 Bad); the low 16 bits are info
 * bits (limit, overflow) that do not change the meaning, so they are masked off before matching.
 * Codes the gateway has a name for keep it; others fall back to the bare severity ('Good',
 * 'Uncertain', 'Bad') and their exact OPC UA name goes into `reason`, so nothing is lost.
 */

/** Sub-codes (value & 0xFFFF0000) the gateway keeps by name. */
const KNOWN: ReadonlyMap<number, QualityCode> = new Map<number, QualityCode>([
  [0x00000000, 'Good'],
  [0x00960000, 'GoodLocalOverride'],
  [0x40900000, 'UncertainLastUsableValue'],
  [0x40930000, 'UncertainSensorCal'], // UncertainSensorNotAccurate: "the sensor is out of calibration"
  [0x40940000, 'UncertainEngineeringUnitsExceeded'],
  [0x40950000, 'UncertainSubNormal'],
  [0x40000000, 'Uncertain'],
  [0x80050000, 'BadCommunicationError'],
  [0x80310000, 'BadCommunicationError'], // BadNoCommunication: the server lost its field connection
  [0x800a0000, 'BadTimeout'],
  [0x808c0000, 'BadSensorFailure'],
  [0x803c0000, 'BadOutOfRange'],
  [0x80890000, 'BadConfigurationError'],
  [0x808a0000, 'BadNotConnected'],
  [0x808b0000, 'BadDeviceFailure'],
  [0x80340000, 'BadNodeIdUnknown'],
  [0x80330000, 'BadNodeIdUnknown'], // BadNodeIdInvalid: the configured NodeId cannot exist
  [0x80320000, 'BadWaitingForInitialData'],
  [0x80000000, 'Bad'],
]);

export interface MappedQuality {
  quality: QualityCode;
  /** Exact OPC UA name (and hex code) when the quality is not plain Good, for operators and logs. */
  reason?: string;
}

export type Severity = 'Good' | 'Uncertain' | 'Bad';

export function severityOf(code: number): Severity {
  const top = (code >>> 30) & 0b11;
  return top === 0 ? 'Good' : top === 1 ? 'Uncertain' : 'Bad';
}

export function hex(code: number): string {
  return '0x' + (code >>> 0).toString(16).toUpperCase().padStart(8, '0');
}

/**
 * @param code  the 32-bit StatusCode value
 * @param name  its symbolic name as the OPC UA stack reports it, e.g. "BadSensorFailure"
 */
export function mapStatusCode(code: number, name?: string): MappedQuality {
  const sub = (code & 0xffff0000) >>> 0;
  const known = KNOWN.get(sub);
  const severity = severityOf(code);
  const quality = known ?? severity;
  const label = name && !name.startsWith('Unknown') ? name.replace(/#.*$/, '') : undefined;
  if (quality === 'Good' && sub === 0) return { quality };
  return { quality, reason: `${label ?? severity} (${hex(code)})` };
}
