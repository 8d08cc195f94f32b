/** The MQTT topic contract lives in core (adapters name the ingest topics too). */
export * from '../core/topics.js';
