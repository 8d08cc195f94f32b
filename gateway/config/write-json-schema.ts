import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { gatewayConfigSchema } from './schema.js';

export const JSON_SCHEMA_FILE = fileURLToPath(new URL('./gateway-config.schema.json', import.meta.url));

/** JSON Schema of the config file as an author writes it (the input side of the zod schema). */
export function configJsonSchema(): string {
  const schema = z.toJSONSchema(gatewayConfigSchema, { io: 'input', unrepresentable: 'any' });
  return JSON.stringify({ ...schema, title: 'Gateway configuration (冶金工贸安全风险监测预警网关配置)' }, null, 2) + '\n';
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(JSON_SCHEMA_FILE, configJsonSchema());
  console.log(`wrote ${JSON_SCHEMA_FILE}`);
}
