import { z } from 'zod';
import type { QualityCode } from '../../gateway/core/quality.js';

/**
 * Raw-to-engineering scaling. Either a linear map between a raw range and an engineering range
 * (4–20 mA transmitters read as counts, e.g. 6400–32000 → 0–1000 ppm), or factor and offset
 * (eng = raw × factor + offset, e.g. a register holding tenths of a degree).
 *
 * `namur: true` declares that rawLow is the count at 4 mA and rawHigh the count at 20 mA, and turns
 * on NAMUR NE 43 fault detection: a transmitter signals its own failure by driving the loop to
 * ≤ 3.6 mA or ≥ 21 mA, which must read as a failed sensor, never as a low or high gas value.
 */
export const rangeScaleSchema = z
  .strictObject({
    rawLow: z.number(),
    rawHigh: z.number(),
    engLow: z.number(),
    engHigh: z.number(),
    namur: z.boolean().default(false),
  })
  .refine((s) => s.rawHigh !== s.rawLow, { message: 'rawHigh must differ from rawLow', path: ['rawHigh'] });

export const factorScaleSchema = z.strictObject({
  factor: z.number(),
  offset: z.number().default(0),
});

export const scaleSchema = z.union([rangeScaleSchema, factorScaleSchema]);
export type ScaleConfig = z.infer<typeof scaleSchema>;
export type RangeScale = z.infer<typeof rangeScaleSchema>;

export function applyScale(raw: number, scale: ScaleConfig | undefined): number {
  if (!scale) return raw;
  if ('factor' in scale) return raw * scale.factor + scale.offset;
  return scale.engLow + ((raw - scale.rawLow) * (scale.engHigh - scale.engLow)) / (scale.rawHigh - scale.rawLow);
}

/** NAMUR NE 43 limits, mA. */
export const NAMUR = {
  /** At or below: failure signalled by the transmitter (or a broken loop). */
  failLow: 3.6,
  /** At or above: failure signalled by the transmitter (or a short circuit). */
  failHigh: 21,
  /** Measurement information is 3.8–20.5 mA; between these and the failure limits the value is doubtful. */
  measureLow: 3.8,
  measureHigh: 20.5,
} as const;

/** Loop current for a raw count when rawLow ↔ 4 mA and rawHigh ↔ 20 mA. */
export function loopCurrentMa(raw: number, scale: RangeScale): number {
  return 4 + ((raw - scale.rawLow) * 16) / (scale.rawHigh - scale.rawLow);
}

export interface ScaledValue {
  value: number | null;
  quality: QualityCode;
  reason?: string;
}

const fmt = (ma: number) => ma.toFixed(2);

/** Scales a raw value and, for NAMUR-scaled points, judges the loop current. */
export function scaleValue(raw: number, scale: ScaleConfig | undefined): ScaledValue {
  if (!Number.isFinite(raw)) return { value: null, quality: 'BadOutOfRange', reason: `原始值非有限数 (raw value ${raw} is not a finite number)` };
  if (!scale || 'factor' in scale || !scale.namur) return { value: applyScale(raw, scale), quality: 'Good' };
  const ma = loopCurrentMa(raw, scale);
  if (ma <= NAMUR.failLow) {
    return { value: null, quality: 'BadSensorFailure', reason: `NAMUR NE 43: 回路电流 ${fmt(ma)} mA ≤ 3.6 mA，变送器故障或断线 (transmitter failure / open loop)` };
  }
  if (ma >= NAMUR.failHigh) {
    return { value: null, quality: 'BadSensorFailure', reason: `NAMUR NE 43: 回路电流 ${fmt(ma)} mA ≥ 21 mA，变送器故障或短路 (transmitter failure / short circuit)` };
  }
  const value = applyScale(raw, scale);
  if (ma < NAMUR.measureLow || ma > NAMUR.measureHigh) {
    return { value, quality: 'UncertainEngineeringUnitsExceeded', reason: `NAMUR NE 43: 回路电流 ${fmt(ma)} mA 超出测量范围 3.8–20.5 mA (outside the measuring range)` };
  }
  return { value, quality: 'Good' };
}
