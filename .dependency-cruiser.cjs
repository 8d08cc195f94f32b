/**
 * Import rules, checked by `npm run deps` (dependency-cruiser) in `npm test`.
 *
 * Layers, lowest first; a layer imports only from layers below it (DESIGN.md: "core ← rules,
 * adapters ← alarm manager ← services ← runtime/CLI"):
 *
 *   core             gateway/core/**: shared contracts (Reading, AlarmEvent, bus, logger, metrics …)
 *   config pieces    gateway/config/{point,limits,alarms,publish}-schema.ts, uscc.ts, rules/presets.ts:
 *                    the parts of the config schema that rules and adapters share (core only).
 *                    Core may name their types (a point's `limits:` and `publish:` blocks are part
 *                    of the point contract) but never imports them at run time.
 *   rules, adapters  rules/**, adapters/**: neither knows the other, nor anything above
 *   alarm manager    gateway/alarms/**, with gateway/store/** (the SQLite database, core only)
 *   services/sinks   gateway/{sinks,uplink,mqtt,control,services,http}/**
 *   config schema    gateway/config/schema.ts, load.ts …: composes the plug-ins' config schemas
 *   runtime, CLI     gateway/runtime/**, gateway/cli/**: may import anything in the product
 *
 * Tests and simulators may import anything; no product code imports tests, and only the CLI (the
 * demo) imports simulators. No import cycles between files anywhere, type-only imports included.
 */
const ABOVE_RULES = '^gateway/(alarms|store|sinks|uplink|mqtt|control|services|http|runtime|cli)/';
const CONFIG_COMPOSITION = '^gateway/config/(?!(point-schema|limits-schema|alarms-schema|publish-schema|uscc)\\.ts$)';

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'An import cycle between files: the modules cannot be understood, tested or loaded one at a time.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'core-imports-only-core',
      comment: 'gateway/core holds the shared contracts; it depends on nothing else of ours.',
      severity: 'error',
      from: { path: '^gateway/core/' },
      to: { path: '^(gateway/(?!core/)|rules/|adapters/|simulators/|tests/)', pathNot: '^gateway/config/(point-schema|limits-schema|alarms-schema|publish-schema|uscc)\\.ts$' },
    },
    {
      name: 'core-names-config-piece-types-only',
      comment: 'The point contract names the parsed limits and publish blocks; core never loads the config schema at run time.',
      severity: 'error',
      from: { path: '^gateway/core/' },
      to: { path: '^gateway/config/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'config-pieces-import-only-core',
      comment: 'The config pieces rules and adapters share sit just above core.',
      severity: 'error',
      from: { path: '^(gateway/config/(point-schema|limits-schema|alarms-schema|publish-schema|uscc)\\.ts|rules/presets\\.ts)$' },
      to: { path: '^(gateway/(?!core/|config/(point-schema|limits-schema|alarms-schema|publish-schema|uscc)\\.ts$)|rules/(?!presets\\.ts$)|adapters/|simulators/|tests/)' },
    },
    {
      name: 'rules-below-alarm-manager',
      comment: 'Rules do no I/O: they know neither adapters, nor the alarm manager, sinks, runtime or the composed config.',
      severity: 'error',
      from: { path: '^rules/' },
      to: { path: [ABOVE_RULES, '^adapters/', CONFIG_COMPOSITION, '^simulators/', '^tests/'] },
    },
    {
      name: 'adapters-know-no-rules',
      comment: 'An adapter turns protocol data into Readings and nothing else.',
      severity: 'error',
      from: { path: '^adapters/' },
      to: { path: [ABOVE_RULES, '^rules/', CONFIG_COMPOSITION, '^simulators/', '^tests/'] },
    },
    {
      name: 'store-imports-only-core',
      comment: 'The durable store is infrastructure for the alarm manager and the sinks. gateway-store.ts and storage-health.ts assemble the data directory around the alarm journal, at the alarm manager level.',
      severity: 'error',
      from: { path: '^gateway/store/', pathNot: '^gateway/store/(gateway-store|storage-health)\\.ts$' },
      to: { path: '^(gateway/(?!core/|store/)|rules/|adapters/|simulators/|tests/)' },
    },
    {
      name: 'alarm-manager-below-services',
      comment: 'The alarm manager owns alarm state and knows no sink, service or adapter.',
      severity: 'error',
      from: { path: '^gateway/alarms/' },
      to: { path: ['^gateway/(sinks|uplink|mqtt|control|services|http|runtime|cli)/', '^adapters/', CONFIG_COMPOSITION, '^simulators/', '^tests/'] },
    },
    {
      name: 'services-below-runtime',
      comment: 'Services and sinks are started by the runtime; they do not reach back into it.',
      severity: 'error',
      from: { path: '^gateway/(sinks|uplink|mqtt|control|services|http)/' },
      to: { path: '^(gateway/(runtime|cli)/|simulators/|tests/)' },
    },
    {
      name: 'config-schema-below-runtime',
      comment: 'The config schema composes the plug-ins\u2019 schemas; it is read by the runtime, not the other way round.',
      severity: 'error',
      from: { path: '^gateway/config/' },
      to: { path: '^(gateway/(runtime|cli)/|simulators/|tests/)' },
    },
    {
      name: 'simulators-only-from-cli-and-tests',
      comment: 'The product does not depend on simulators; the demo command (CLI) starts them.',
      severity: 'error',
      from: { path: '^(gateway|rules|adapters)/', pathNot: '^gateway/cli/' },
      to: { path: '^simulators/' },
    },
  ],
  options: {
    // Type-only imports count: a cycle through types is still a design cycle.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist)/' },
    // Resolve `./x.js` in TypeScript sources to `./x.ts` (NodeNext import specifiers).
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.json'] },
  },
};
