import { mqttDeviceSchema, type MqttDevice } from '../../../adapters/mqtt/config.js';

export function device(input: Record<string, unknown>): MqttDevice {
  return mqttDeviceSchema.parse({ type: 'mqtt', ...input });
}
