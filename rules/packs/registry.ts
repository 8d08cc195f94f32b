import type { EquipmentPack } from './pack.js';
import { ammoniaRefrigerationPack } from './ammonia-refrigeration.js';
import { blastFurnacePack } from './blast-furnace.js';
import { coDetectorsPack } from './co-detectors.js';
import { confinedSpacePack } from './confined-space.js';
import { dryDustCollectorPack } from './dry-dust-collector.js';
import { gasHolderPack } from './gas-holder.js';
import { hazchemTankPack } from './hazchem-tank.js';
import { oxygenLancePack } from './oxygen-lance.js';
import { wetDustCollectorPack } from './wet-dust-collector.js';

/**
 * Every equipment pack the `equipment:` section accepts. A new pack is a file under rules/packs/
 * and one line here (and a section in rules/packs/README.md citing its sources).
 */
export const PACKS: readonly EquipmentPack[] = [
  blastFurnacePack,
  oxygenLancePack,
  gasHolderPack,
  coDetectorsPack,
  dryDustCollectorPack,
  wetDustCollectorPack,
  confinedSpacePack,
  ammoniaRefrigerationPack,
  hazchemTankPack,
];

export function findPack(type: string): EquipmentPack | undefined {
  return PACKS.find((p) => p.type === type);
}
