import { describe, expect, it } from 'vitest';
import { StatusCodes } from 'node-opcua';
import { mapStatusCode, severityOf } from '../../../adapters/opcua/quality.js';
import { QUALITY_CODES } from '../../../gateway/core/quality.js';

const map = (name: keyof typeof StatusCodes) => {
  const code = StatusCodes[name] as { value: number; name: string };
  return mapStatusCode(code.value, code.name);
};

describe('OPC UA status code → Reading quality', () => {
  it('plain Good has no reason', () => {
    expect(mapStatusCode(0, 'Good')).toEqual({ quality: 'Good' });
  });

  it('keeps the OPC UA names the gateway knows', () => {
    expect(map('GoodLocalOverride').quality).toBe('GoodLocalOverride');
    expect(map('UncertainLastUsableValue').quality).toBe('UncertainLastUsableValue');
    expect(map('UncertainEngineeringUnitsExceeded').quality).toBe('UncertainEngineeringUnitsExceeded');
    expect(map('UncertainSubNormal').quality).toBe('UncertainSubNormal');
    expect(map('BadSensorFailure').quality).toBe('BadSensorFailure');
    expect(map('BadDeviceFailure').quality).toBe('BadDeviceFailure');
    expect(map('BadCommunicationError').quality).toBe('BadCommunicationError');
    expect(map('BadTimeout').quality).toBe('BadTimeout');
    expect(map('BadOutOfRange').quality).toBe('BadOutOfRange');
    expect(map('BadConfigurationError').quality).toBe('BadConfigurationError');
    expect(map('BadNotConnected').quality).toBe('BadNotConnected');
    expect(map('BadNodeIdUnknown').quality).toBe('BadNodeIdUnknown');
    expect(map('BadWaitingForInitialData').quality).toBe('BadWaitingForInitialData');
  });

  it('maps near-synonyms to the gateway name and keeps the exact name in the reason', () => {
    expect(map('UncertainSensorNotAccurate')).toEqual({ quality: 'UncertainSensorCal', reason: 'UncertainSensorNotAccurate (0x40930000)' });
    expect(map('BadNoCommunication')).toEqual({ quality: 'BadCommunicationError', reason: 'BadNoCommunication (0x80310000)' });
    expect(map('BadNodeIdInvalid').quality).toBe('BadNodeIdUnknown');
  });

  it('falls back to the severity for codes without a gateway name, never to Good', () => {
    expect(map('BadOutOfService')).toEqual({ quality: 'Bad', reason: 'BadOutOfService (0x808D0000)' });
    expect(map('UncertainInitialValue').quality).toBe('Uncertain');
    expect(map('GoodClamped').quality).toBe('Good');
    expect(map('GoodClamped').reason).toContain('GoodClamped');
    // An unknown Bad code with no name is still Bad.
    expect(mapStatusCode(0x80ee0000).quality).toBe('Bad');
    expect(mapStatusCode(0xc0010000).quality).toBe('Bad');
  });

  it('ignores the info bits (limit, overflow) below the sub-code', () => {
    // BadSensorFailure with the "limit high" info bits set.
    expect(mapStatusCode(0x808c0000 | 0x0400 | 0x0200).quality).toBe('BadSensorFailure');
    expect(mapStatusCode(0x00000480).quality).toBe('Good');
  });

  it('the severity is read from the top two bits', () => {
    expect(severityOf(0x00960000)).toBe('Good');
    expect(severityOf(0x40900000)).toBe('Uncertain');
    expect(severityOf(0x80340000)).toBe('Bad');
    expect(severityOf(0xc0000000)).toBe('Bad');
  });

  it('every mapped quality is a gateway QualityCode', () => {
    for (const [name, code] of Object.entries(StatusCodes)) {
      const c = code as { value?: number };
      if (typeof c.value !== 'number') continue;
      expect(QUALITY_CODES, name).toContain(mapStatusCode(c.value, name).quality);
    }
  });
});
