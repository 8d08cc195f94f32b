import { z } from 'zod';
import { PACKS } from '../../rules/packs/registry.js';
import type { EquipmentPack } from '../../rules/packs/pack.js';

const equipmentIdSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'equipment id may contain letters, digits, "_", "." and "-" only (it becomes part of rule and alarm ids)');

function entrySchema(pack: EquipmentPack) {
  return z.strictObject({
    /** Prefix of the pack's rule ids: `<id>.<check>`. */
    id: equipmentIdSchema,
    /** The pack (rules/packs/registry.ts), e.g. blast-furnace. */
    type: z.literal(pack.type),
    /** Chinese name that starts every generated message, e.g. 1#高炉. */
    name: z.string().min(1),
    /** Indicator → point id; the points stay defined under their devices. */
    bind: z.record(z.string(), z.string().min(1)).default({}),
    /** The pack's parameters (design values, delays); see rules/packs/README.md. */
    params: (pack.params as unknown as z.ZodObject).prefault({}),
    /** Checks of the pack not to create, by name. */
    disable: z.array(z.string()).default([]),
    description: z.string().optional(),
  });
}

/** One `equipment:` entry: a piece of equipment of a pack's type with its indicator bindings. */
export const equipmentSchema = z.discriminatedUnion(
  'type',
  PACKS.map(entrySchema) as unknown as [ReturnType<typeof entrySchema>, ...ReturnType<typeof entrySchema>[]],
);
export type EquipmentEntry = z.infer<typeof equipmentSchema>;
