import type { EquipmentPack } from './pack.js';
import { blastFurnacePack } from './blast-furnace.js';

/**
 * Every equipment pack the `equipment:` section accepts. A new pack is a file under rules/packs/
 * and one line here (and a section in rules/packs/README.md citing its sources).
 */
export const PACKS: readonly EquipmentPack[] = [
  blastFurnacePack,
] as unknown as EquipmentPack[];

export function findPack(type: string): EquipmentPack | undefined {
  return PACKS.find((p) => p.type === type);
}
