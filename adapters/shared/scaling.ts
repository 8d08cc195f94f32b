import { z } from 'zod';

/**
 * Raw-to-engineering scaling. Either a linear map between a raw range and an engineering range
 * (4–20 mA transmitters read as counts, e.g. 6400–32000 → 0–1000 ppm), or factor and offset
 * (eng = raw × factor + offset, e.g. a register holding tenths of a degree).
 */
export const rangeScaleSchema = z
  .strictObject({
    rawLow: z.number(),
    rawHigh: z.number(),
    engLow: z.number(),
    engHigh: z.number(),
  })
  .refine((s) => s.rawHigh !== s.rawLow, { message: 'rawHigh must differ from rawLow' });

export const factorScaleSchema = z.strictObject({
  factor: z.number(),
  offset: z.number().default(0),
});

export const scaleSchema = z.union([rangeScaleSchema, factorScaleSchema]);
export type ScaleConfig = z.infer<typeof scaleSchema>;

export function applyScale(raw: number, scale: ScaleConfig | undefined): number {
  if (!scale) return raw;
  if ('factor' in scale) return raw * scale.factor + scale.offset;
  return scale.engLow + ((raw - scale.rawLow) * (scale.engHigh - scale.engLow)) / (scale.rawHigh - scale.rawLow);
}
