import { z } from 'zod';
import { durationSchema } from '../../core/duration.js';

const common = {
  enabled: z.boolean().default(true),
  /** http://127.0.0.1:8086 (InfluxDB) or http://127.0.0.1:8428 (VictoriaMetrics). */
  url: z.string().regex(/^https?:\/\/.+/, 'expected http://host:port'),
  /** Tag `site` on every point; default: the gateway id. */
  site: z.string().min(1).optional(),
  measurement: z.string().min(1).default('reading'),
  alarmMeasurement: z.string().min(1).default('alarm_event'),
  /** Lines per write request. */
  batchSize: z.number().int().min(1).max(100_000).default(5000),
  /** Readings wait at most this long in memory before they are written. */
  flushInterval: durationSchema.default(1000),
  /** In-memory lines beyond which the buffer spills to the disk queue (the rule path never waits). */
  maxBufferLines: z.number().int().min(1).default(100_000),
  timeout: durationSchema.default(10_000),
  retry: z
    .strictObject({ initialDelay: durationSchema.default(1000), maxDelay: durationSchema.default(30_000) })
    .default({ initialDelay: 1000, maxDelay: 30_000 }),
  /** Disk queue for outages; beyond these bounds the oldest batches go first (counted, logged). */
  queue: z
    .strictObject({ maxLines: z.number().int().min(1).default(50_000_000), maxAge: durationSchema.default(30 * 86_400_000) })
    .default({ maxLines: 50_000_000, maxAge: 30 * 86_400_000 }),
  /** Failing this long raises influx:WRITE_FAILING. */
  writeFailingAlarmAfter: durationSchema.default(60_000),
  /**
   * How the console's trends are read back: InfluxQL over /query (InfluxDB 1.x; 2.x and 3.x through
   * their v1-compatible API with a DBRP mapping), PromQL (VictoriaMetrics), or off (local history only).
   * Whatever fails falls back to the local history.
   */
  trends: z.enum(['influxql', 'promql', 'off']).default('influxql'),
};

/** InfluxDB 2.x / 3.x, InfluxDB 1.8+ and VictoriaMetrics: POST /api/v2/write. */
const v2Schema = z.strictObject({
  api: z.literal('v2'),
  ...common,
  org: z.string().default(''),
  bucket: z.string().min(1),
  token: z.string().optional(),
});

/** InfluxDB 1.x (1.6, 1.7 have no v2 endpoint): POST /write?db=&rp=. */
const v1Schema = z.strictObject({
  api: z.literal('v1'),
  ...common,
  database: z.string().min(1),
  retentionPolicy: z.string().min(1).optional(),
  username: z.string().optional(),
  password: z.string().optional(),
});

export const influxSectionSchema = z.discriminatedUnion('api', [v2Schema, v1Schema]);
export type InfluxSection = z.infer<typeof influxSectionSchema>;
export type InfluxSectionInput = z.input<typeof influxSectionSchema>;
