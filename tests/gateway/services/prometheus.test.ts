import { describe, expect, it } from 'vitest';
import { Metrics } from '../../../gateway/core/metrics.js';
import { PrometheusExporter, promName } from '../../../gateway/services/http/prometheus.js';

describe('Prometheus exposition', () => {
  it('names follow Prometheus conventions: gateway_ prefix, _total on counters', () => {
    expect(promName('modbus_requests', 'counter')).toBe('gateway_modbus_requests_total');
    expect(promName('uplink_sent_total', 'counter')).toBe('gateway_uplink_sent_total');
    expect(promName('influx_queue_lines', 'gauge')).toBe('gateway_influx_queue_lines');
    expect(promName('odd-name', 'gauge')).toBe('gateway_odd_name');
  });

  it('renders counters, gauges, cumulative histogram buckets and escaped labels', async () => {
    const m = new Metrics();
    m.describe('mqtt_auth_failures', 'Refused MQTT logins');
    m.inc('mqtt_auth_failures', { reason: 'bad "password"\nagain' }, 2);
    m.set('uplink_queue_messages', 7);
    m.observe('journal_commit_duration_seconds', 0.0003);
    m.observe('journal_commit_duration_seconds', 0.02);
    let collected = 0;
    m.collect(() => m.set('collected', ++collected));
    const text = await new PrometheusExporter(m).render();
    expect(text).toContain('# HELP gateway_mqtt_auth_failures_total Refused MQTT logins');
    expect(text).toContain('gateway_mqtt_auth_failures_total{reason="bad \\"password\\"\\nagain"} 2');
    expect(text).toContain('# TYPE gateway_uplink_queue_messages gauge\ngateway_uplink_queue_messages 7');
    expect(text).toContain('gateway_journal_commit_duration_seconds_bucket{le="0.00025"} 0');
    expect(text).toContain('gateway_journal_commit_duration_seconds_bucket{le="0.0005"} 1');
    expect(text).toContain('gateway_journal_commit_duration_seconds_bucket{le="0.025"} 2');
    expect(text).toContain('gateway_journal_commit_duration_seconds_bucket{le="+Inf"} 2');
    expect(text).toContain('gateway_journal_commit_duration_seconds_count 2');
    expect(text).toContain('gateway_collected 1');
    expect(text).toContain('gateway_process_resident_memory_bytes');
  });

  it('a counter series held by a hot path is the one inc() adds to and /metrics shows', async () => {
    const m = new Metrics();
    const held = m.counterSeries('mqtt_ingest_messages', { device: 'co-1' });
    held.value += 3;
    m.inc('mqtt_ingest_messages', { device: 'co-1' });
    held.value++;
    expect(m.counterSeries('mqtt_ingest_messages', { device: 'co-1' })).toBe(held);
    expect(m.counter('mqtt_ingest_messages', { device: 'co-1' })).toBe(5);
    expect(await new PrometheusExporter(m).render()).toContain('gateway_mqtt_ingest_messages_total{device="co-1"} 5');
  });
});
