import { ammoniaScenario } from './ammonia.js';
import { blastFurnaceScenario } from './blast-furnace.js';
import { coDetectorsScenario } from './co-detectors.js';
import { confinedSpaceScenario } from './confined-space.js';
import { dustCollectorsScenario } from './dust-collectors.js';
import { gasHolderScenario } from './gas-holder.js';
import { hazchemTankScenario } from './hazchem-tank.js';
import { oxygenLanceScenario } from './oxygen-lance.js';
import type { Scenario } from './scenario.js';

/** `npm start -- --scenario <name>`: a scenario is a file here, one line below and its config. */
export const SCENARIOS: Record<string, Scenario> = {
  'confined-space': confinedSpaceScenario,
  ammonia: ammoniaScenario,
  'hazchem-tank': hazchemTankScenario,
  'blast-furnace': blastFurnaceScenario,
  'oxygen-lance': oxygenLanceScenario,
  'gas-holder': gasHolderScenario,
  'co-detectors': coDetectorsScenario,
  'dust-collectors': dustCollectorsScenario,
};
