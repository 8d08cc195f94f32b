import { ammoniaScenario } from './ammonia.js';
import { confinedSpaceScenario } from './confined-space.js';
import { hazchemTankScenario } from './hazchem-tank.js';
import type { Scenario } from './scenario.js';

/** `npm start -- --scenario <name>`: a scenario is a file here, one line below and its config. */
export const SCENARIOS: Record<string, Scenario> = {
  'confined-space': confinedSpaceScenario,
  ammonia: ammoniaScenario,
  'hazchem-tank': hazchemTankScenario,
};
