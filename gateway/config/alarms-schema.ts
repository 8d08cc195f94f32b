import { z } from 'zod';
import { ALARM_DEFAULTS } from '../core/alarm-defaults.js';
import { durationSchema } from '../core/duration.js';
import { severitySchema } from '../core/alarm-event.js';

/** Gateway-wide alarm management settings (ISA-18.2 / EEMUA 191 defaults). */
export const alarmsSectionSchema = z.strictObject({
  /** Longest an operator may shelve an alarm for. */
  maxShelve: durationSchema.default(ALARM_DEFAULTS.maxShelveMs),
  /** More than this many annunciated alarms within floodWindow in one area is a flood. */
  floodThreshold: z.number().int().min(1).default(ALARM_DEFAULTS.floodThreshold),
  floodWindow: durationSchema.default(ALARM_DEFAULTS.floodWindowMs),
  /** An activation after this much quiet in its area begins a burst and is marked first out. */
  firstOutQuiet: durationSchema.default(ALARM_DEFAULTS.firstOutQuietMs),
  /** Acknowledged alarms still active after this long annunciate again; 0 turns re-alarm off. */
  reAlarm: durationSchema.default(0),
  /**
   * Areas whose alarms reach a console staffed 24 hours a day (24小时有人值守场所). Fixed CO detectors
   * must report to one (判定标准 第四条(六)); `coverage` lists detectors in other areas.
   */
  staffedAreas: z.array(z.string().min(1)).default([]),
  /** The diagnostic alarm <point>:BAD_QUALITY of every point that has alarms. */
  badQuality: z
    .strictObject({
      enabled: z.boolean().default(true),
      severity: severitySchema.default(2),
      /** Keeps one timed-out poll from annunciating. */
      onDelay: durationSchema.default(5000),
    })
    .default({ enabled: true, severity: 2, onDelay: 5000 }),
});
export type AlarmsSection = z.infer<typeof alarmsSectionSchema>;

/**
 * Suppression by design: while the `when` condition holds (a dust collector's fan stopped), the listed
 * alarms are SUPPRESSED — still evaluated and journaled, not annunciated, and the suppression itself
 * is visible as a state change.
 */
export const suppressionSchema = z
  .strictObject({
    id: z.string().min(1),
    when: z.strictObject({ point: z.string().min(1), equals: z.union([z.boolean(), z.number()]) }),
    /** Every alarm of these points… */
    points: z.array(z.string().min(1)).default([]),
    /** …and these alarms by id (e.g. dc1.hopper_temp:HH). */
    alarms: z.array(z.string().min(1)).default([]),
    /** Chinese reason shown with the suppression, e.g. 除尘器风机停运. */
    reason: z.string().optional(),
  })
  .refine((s) => s.points.length + s.alarms.length > 0, { message: 'name the suppressed alarms in points: or alarms:' });
export type SuppressionConfig = z.infer<typeof suppressionSchema>;

export const storageSectionSchema = z.strictObject({
  /** Folder of the SQLite database (alarm journal, states, audit log, queues). */
  dataDir: z.string().default('.data'),
  /**
   * How long alarm events and audit entries are kept (the latest event of each alarm is always
   * kept). Regulators expect at least 30 days of records at the enterprise; the default is 400 days
   * so a year can be compared with the last.
   */
  journalRetention: durationSchema.default(400 * 86_400_000).refine((ms) => ms >= 86_400_000, 'journalRetention must be at least 1d'),
  /**
   * Online backups of the database into <dataDir>/backups (restored with the `restore` command).
   * interval 0 turns them off.
   */
  backup: z
    .strictObject({
      interval: durationSchema.default(3_600_000),
      /** Backups kept; the oldest beyond go. */
      keep: z.number().int().min(1).default(24),
    })
    .default({ interval: 3_600_000, keep: 24 }),
  /**
   * Alarm events held in memory, in order, while the journal cannot be written (disk full); they are
   * journaled when space returns. Beyond this the oldest held are dropped (and counted).
   */
  holdEvents: z.number().int().min(100).default(100_000),
});
