import { z } from 'zod';

/**
 * Quality of a reading, named after OPC UA status codes so values from OPC UA servers keep their
 * meaning end to end. Extend by adding a name here; the prefix (Good / Uncertain / Bad) is what
 * rules look at.
 */
export const QUALITY_CODES = [
  'Good',
  'GoodLocalOverride',
  'UncertainLastUsableValue',
  'UncertainSensorCal',
  'UncertainEngineeringUnitsExceeded',
  'UncertainSubNormal',
  'Uncertain',
  'BadCommunicationError',
  'BadTimeout',
  'BadSensorFailure',
  'BadOutOfRange',
  'BadConfigurationError',
  'BadNotConnected',
  'BadDeviceFailure',
  'BadNodeIdUnknown',
  'BadWaitingForInitialData',
  'Bad',
] as const;

export const qualityCodeSchema = z.enum(QUALITY_CODES);
export type QualityCode = z.infer<typeof qualityCodeSchema>;

export function isGood(q: QualityCode): boolean {
  return q.startsWith('Good');
}

export function isBad(q: QualityCode): boolean {
  return q.startsWith('Bad');
}

export function isUncertain(q: QualityCode): boolean {
  return q.startsWith('Uncertain');
}
