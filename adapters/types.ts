import type { z } from 'zod';
import type { Reading } from '../gateway/core/reading.js';
import type { Logger } from '../gateway/core/logger.js';
import type { Metrics } from '../gateway/core/metrics.js';
import type { BasePoint } from '../gateway/config/point-schema.js';
import type { PublishPolicyConfig } from '../gateway/config/publish-schema.js';

/** Publishes the readings of one point (the point's bus channel in the gateway). */
export interface PointPublisher {
  publish(reading: Reading): void;
}

/** What the gateway gives an adapter. Adapters know nothing of rules or sinks. */
export interface AdapterContext {
  /** Hands a reading to the bus. */
  publish(reading: Reading): void;
  /**
   * The same as publish() for readings of one point, with the point's bus channel found once: for an
   * adapter that publishes the same points many times a second (the Modbus poll loop), which then
   * spares the bus a lookup of the point id among all points per reading. Readings given to it must
   * be of `pointId`. Absent in contexts without a bus (an adapter alone in a test): use publish().
   */
  publisherOf?(pointId: string): PointPublisher;
  /**
   * Hands a reading from the past (a device's store-and-forward backlog, with its own timestamp) to
   * the history sinks only: it never drives live state, rules or alarms. Absent where nothing keeps
   * history (an adapter alone in a test); such readings are then only counted.
   */
  publishHistorical?(reading: Reading): void;
  log: Logger;
  metrics: Metrics;
  /** Gateway receive time, ms since epoch. */
  now(): number;
  /** The gateway's data folder, for adapter state such as certificates (default .data). */
  dataDir?: string;
  /**
   * Metadata the device itself reports (OPC UA EUInformation …). The gateway uses it where the
   * config left the field out, so alarm messages show the server's engineering unit.
   */
  describePoint?(pointId: string, info: { unit?: string | undefined }): void;
  /**
   * The gateway's own MQTT broker (the embedded one with the gateway's internal credential, or the
   * configured external one), for adapters that subscribe to it.
   */
  localMqtt?: { url: string; username?: string | undefined; password?: string | undefined; gatewayId: string };
}

export interface Adapter {
  readonly deviceId: string;
  /** Starts polling / subscribing. Must not throw for an unreachable device: that is Bad quality. */
  start(): Promise<void>;
  /** Stops and releases connections; pending reads are abandoned. */
  stop(): Promise<void>;
}

/** Fields every device has, whatever its protocol. */
export interface BaseDevice {
  id: string;
  type: string;
  name?: string | undefined;
  enabled: boolean;
  /** MQTT reading publication default for the device's points. */
  publish?: PublishPolicyConfig | undefined;
  points: BasePoint[];
}

export interface AdapterDefinition<S extends z.ZodType<BaseDevice> = z.ZodType<BaseDevice>> {
  /** The `type:` of a device in the config. */
  readonly type: string;
  /** zod schema of one device entry, including its points. */
  readonly deviceSchema: S;
  /** Points the adapter publishes besides the configured ones (communication health, …). */
  readonly diagnosticPoints?: (device: z.infer<S>) => BasePoint[];
  /**
   * MQTT reading publication of the device's points when neither they nor the device say
   * (`publish:`); undefined: mqtt.publishReadings. For inputs whose messages already are readings on
   * the gateway's broker.
   */
  readonly defaultPublish?: (device: z.infer<S>) => PublishPolicyConfig | undefined;
  /** Loaded lazily so validating a config does not load every protocol stack. */
  readonly load: () => Promise<{ createAdapter(device: z.infer<S>, ctx: AdapterContext): Adapter }>;
}
