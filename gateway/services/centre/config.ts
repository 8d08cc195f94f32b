import { z } from 'zod';
import { durationSchema } from '../../core/duration.js';

/**
 * `centre:` — the monitoring-centre role (county centre, 监测中心). The gateway subscribes to the
 * enterprises' uplink envelopes on a broker, keeps the enterprise register with grades, live status
 * and county figures, and raises warnings (预警) down to the enterprises. See README.md here.
 */
export const centreSectionSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** 发布单位 written on every warning, e.g. 某某县应急管理局监测中心. */
  issuer: z.string().min(1).max(100),
  broker: z.strictObject({
    /** mqtt:// or mqtts:// of the broker the enterprises uplink to (mosquitto, EMQX …). */
    url: z.string().regex(/^mqtts?:\/\//, 'expected mqtt://host:port or mqtts://host:port'),
    clientId: z.string().min(1).optional(),
    username: z.string().min(1).optional(),
    password: z.string().min(1).optional(),
    /** PEM of the CA that signed the broker's certificate (mqtts). */
    caFile: z.string().min(1).optional(),
    /** The subscription; `+` per level: enterprise code, gateway code, envelope type. */
    topic: z.string().min(1).default('safety/+/+/+'),
    /**
     * Shared subscription group ($share/<group>/…, MQTT 5 / EMQX / mosquitto ≥ 2): several centre
     * processes split the enterprises between them. Off by default.
     */
    shareGroup: z.string().regex(/^[A-Za-z0-9_-]+$/).optional(),
  }),
  /** Topic of warnings down; {enterpriseCode}, {gatewayCode} are filled in (gateway/core/platform-warning.ts). */
  warningTopic: z.string().min(1).default('safety/{enterpriseCode}/{gatewayCode}/warning'),
  /** A gateway without any live envelope for this long is offline (3 missed 30 s heartbeats by default). */
  offlineAfter: durationSchema.default(90_000),
  /** A point's value is fresh for this long (the online rate by points, the share of fresh Good data). */
  freshFor: durationSchema.default(300_000),
  rules: z
    .strictObject({
      /** An enterprise offline this long gets a warning (企业离线). 0: off. */
      offlineWarningAfter: durationSchema.default(1_800_000),
      /** A severity-4 alarm not acknowledged at the enterprise after this long gets a warning. 0: off. */
      unackedSeverity4After: durationSchema.default(600_000),
      /** This many activations of one point's alarms within repeatedWindow get a warning. 0: off. */
      repeatedAlarmCount: z.number().int().min(0).default(3),
      repeatedWindow: durationSchema.default(86_400_000),
      /** How long an enterprise has to feed back; past it the warning is overdue (逾期). */
      feedbackWithin: durationSchema.default(86_400_000),
      /** How often the rules are evaluated. */
      evaluateEvery: durationSchema.default(5000),
    })
    .default({ offlineWarningAfter: 1_800_000, unackedSeverity4After: 600_000, repeatedAlarmCount: 3, repeatedWindow: 86_400_000, feedbackWithin: 86_400_000, evaluateEvery: 5000 }),
  /**
   * The summary to the tier above (city or province centre): figures and enterprises every
   * `period`, through this gateway's uplink targets (envelope type summary). Sent only when the
   * gateway has an `uplink:` section.
   */
  summary: z
    .strictObject({
      enabled: z.boolean().default(true),
      period: durationSchema.default(60_000),
      /** Names of the uplink targets that take it; every `mqtt` target when left out (a government platform does not know the type). */
      targets: z.array(z.string().min(1)).min(1).optional(),
      /**
       * A centre of the tier below whose latest summary is older than this is stale: shown as such and
       * left out of this centre's totals (5 of its default 60 s periods).
       */
      staleAfter: durationSchema.default(300_000),
    })
    .default({ enabled: true, period: 60_000, staleAfter: 300_000 }),
  /** How long a gateway's earlier queue (before a seq reset) still catches resends by its watermark (intake.ts). */
  dedupFor: durationSchema.default(86_400_000),
  /**
   * While centre.db's disk refuses writes (full, I/O error), history samples held in memory, and
   * written in order once it takes them again; past this the oldest are dropped, counted. About 30
   * bytes each: the default, some 30 MB, is 100 minutes of 10,000 points at the default one sample
   * a minute, 2.5 minutes of 2,000 gateways of 200 points.
   */
  holdSamples: z.number().int().min(4096).max(50_000_000).default(1_048_576),
  /** The same for alarm log rows (centre_alarm_event). */
  holdAlarmEvents: z.number().int().min(1000).max(10_000_000).default(200_000),
});
export type CentreSection = z.infer<typeof centreSectionSchema>;
