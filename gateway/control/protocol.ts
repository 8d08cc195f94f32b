import { z } from 'zod';
import { durationSchema } from '../core/duration.js';

/**
 * Requests on the gateway's local control socket (<dataDir>/control.sock), one JSON object per line.
 * The socket is the operator-action path of the CLI; the file's permissions are its access control.
 */
/** Longest operator comment or reason: it is journaled, published and printed on every console. */
export const MAX_COMMENT_LENGTH = 500;

const user = z.string().min(1, 'user is required: every operator action is audited').max(64, 'user is longer than 64 characters');
const alarmId = z.string().min(1).max(200, 'alarmId is longer than 200 characters');
const text = (what: string) => z.string().max(MAX_COMMENT_LENGTH, `${what} is longer than ${MAX_COMMENT_LENGTH} characters`);
const comment = text('comment');
const reason = text('reason');

export const controlRequestSchema = z.discriminatedUnion('op', [
  z.strictObject({ op: z.literal('list'), all: z.boolean().default(false) }),
  z.strictObject({ op: z.literal('ack'), alarmId, user, comment: comment.optional() }),
  z.strictObject({ op: z.literal('ackArea'), area: z.string().min(1).max(200, 'area is longer than 200 characters'), user, comment: comment.optional() }),
  z.strictObject({ op: z.literal('shelve'), alarmId, user, duration: durationSchema.optional(), reason: reason.min(1, 'a reason is required to shelve') }),
  z.strictObject({ op: z.literal('unshelve'), alarmId, user, reason: reason.optional() }),
  z.strictObject({ op: z.literal('outOfService'), alarmId, user, reason: reason.min(1, 'a reason is required to take an alarm out of service') }),
  z.strictObject({ op: z.literal('inService'), alarmId, user, reason: reason.optional() }),
  z.strictObject({ op: z.literal('comment'), alarmId, user, comment: comment.min(1) }),
]);
export type ControlRequest = z.input<typeof controlRequestSchema>;

export const alarmRowSchema = z.object({
  alarmId: z.string(),
  state: z.string(),
  severity: z.number(),
  area: z.string(),
  active: z.boolean(),
  message: z.string(),
  ts: z.number(),
  shelvedUntil: z.number().optional(),
});
export type AlarmRow = z.infer<typeof alarmRowSchema>;

export const controlResponseSchema = z.union([
  z.strictObject({ ok: z.literal(true), alarms: z.array(alarmRowSchema) }),
  z.strictObject({ ok: z.literal(false), error: z.string() }),
]);
export type ControlResponse = z.infer<typeof controlResponseSchema>;

export const CONTROL_SOCKET = 'control.sock';
