import { z } from 'zod';
import { durationSchema } from '../core/duration.js';

/**
 * Requests on the gateway's local control socket (<dataDir>/control.sock), one JSON object per line.
 * The socket is the operator-action path of the CLI. A connection first proves its OS user
 * (`hello`, then `identify`, see peer-identity.ts); every later request acts as the gateway user that
 * OS user is linked to, checked and audited as the API does. Requests carry no user: a client's
 * claim of who it is is refused.
 */
/** Longest operator comment or reason: it is journaled, published and printed on every console. */
export const MAX_COMMENT_LENGTH = 500;

const alarmId = z.string().min(1).max(200, 'alarmId is longer than 200 characters');
const text = (what: string) => z.string().max(MAX_COMMENT_LENGTH, `${what} is longer than ${MAX_COMMENT_LENGTH} characters`);
const comment = text('comment');
const reason = text('reason');

export const controlRequestSchema = z.discriminatedUnion('op', [
  z.strictObject({ op: z.literal('hello') }),
  z.strictObject({ op: z.literal('identify') }),
  z.strictObject({ op: z.literal('list'), all: z.boolean().default(false) }),
  z.strictObject({ op: z.literal('ack'), alarmId, comment: comment.optional() }),
  z.strictObject({ op: z.literal('ackArea'), area: z.string().min(1).max(200, 'area is longer than 200 characters'), comment: comment.optional() }),
  z.strictObject({ op: z.literal('shelve'), alarmId, duration: durationSchema.optional(), reason: reason.min(1, 'a reason is required to shelve') }),
  z.strictObject({ op: z.literal('unshelve'), alarmId, reason: reason.optional() }),
  z.strictObject({ op: z.literal('outOfService'), alarmId, reason: reason.min(1, 'a reason is required to take an alarm out of service') }),
  z.strictObject({ op: z.literal('inService'), alarmId, reason: reason.optional() }),
  z.strictObject({ op: z.literal('comment'), alarmId, comment: comment.min(1) }),
]);
export type ControlRequest = z.input<typeof controlRequestSchema>;
export type ParsedControlRequest = z.output<typeof controlRequestSchema>;

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

export const challengeSchema = z.string().regex(/^[0-9a-f]{32}$/, 'a challenge is 32 hex digits');

/** Who the gateway found behind the connection, and whom it acts as. */
export const controlIdentitySchema = z.strictObject({ osUser: z.string(), uid: z.number(), user: z.string(), role: z.string(), auditName: z.string() });
export type ControlIdentity = z.infer<typeof controlIdentitySchema>;

export const controlResponseSchema = z.union([
  z.strictObject({ ok: z.literal(true), alarms: z.array(alarmRowSchema) }),
  z.strictObject({ ok: z.literal(true), challenge: challengeSchema, proofDir: z.string().min(1) }),
  z.strictObject({ ok: z.literal(true), identity: controlIdentitySchema }),
  z.strictObject({ ok: z.literal(false), error: z.string() }),
]);
export type ControlResponse = z.infer<typeof controlResponseSchema>;
export type AlarmsResponse = Extract<ControlResponse, { alarms: unknown }> | Extract<ControlResponse, { ok: false }>;

export const CONTROL_SOCKET = 'control.sock';
/** The proof directory, beside the socket: `<socket>.proof`. */
export const proofDirOf = (socketPath: string) => `${socketPath}.proof`;
