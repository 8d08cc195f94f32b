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

// Every code starts with its class, and G, U and B differ: one character decides. This runs for every
// reading in every rule, so it avoids string scans.
const G = 'G'.charCodeAt(0);
const U = 'U'.charCodeAt(0);
const B = 'B'.charCodeAt(0);

export function isGood(q: QualityCode): boolean {
  return q.charCodeAt(0) === G;
}

export function isBad(q: QualityCode): boolean {
  return q.charCodeAt(0) === B;
}

export function isUncertain(q: QualityCode): boolean {
  return q.charCodeAt(0) === U;
}
