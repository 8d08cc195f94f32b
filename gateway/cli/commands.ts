import type { Command } from './command.js';

/**
 * Every CLI command, loaded on demand so `validate` does not load the OPC UA stack. A new command is a
 * file under commands/ and one entry here.
 */
export const COMMANDS: Record<string, () => Promise<Command>> = {
  run: async () => (await import('./commands/run.js')).default,
  demo: async () => (await import('./commands/demo.js')).default,
  validate: async () => (await import('./commands/validate.js')).default,
  alarms: async () => (await import('./commands/alarm-actions.js')).alarms,
  ack: async () => (await import('./commands/alarm-actions.js')).ack,
  shelve: async () => (await import('./commands/alarm-actions.js')).shelve,
  unshelve: async () => (await import('./commands/alarm-actions.js')).unshelve,
  disable: async () => (await import('./commands/alarm-actions.js')).disable,
  enable: async () => (await import('./commands/alarm-actions.js')).enable,
  comment: async () => (await import('./commands/alarm-actions.js')).comment,
  plan: async () => (await import('./commands/plan.js')).default,
  kpi: async () => (await import('./commands/kpi.js')).default,
  browse: async () => (await import('./commands/browse.js')).default,
  expand: async () => (await import('./commands/expand.js')).default,
  coverage: async () => (await import('./commands/coverage.js')).default,
  'opcua-trust': async () => (await import('./commands/opcua-trust.js')).default,
  users: async () => (await import('./commands/users.js')).default,
  restore: async () => (await import('./commands/restore.js')).default,
  'mqtt-map': async () => (await import('./commands/mqtt-map.js')).default,
};
