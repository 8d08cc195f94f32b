import { z } from 'zod';

/** An OS account name as passwd(5) allows it (login names; no ':' or '/'). */
export const osUserNameSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]*\$?$/, 'an OS user name is letters, digits, _ . - (a trailing $ allowed)');

/**
 * `control:` — the local control socket the CLI's operator commands use. The gateway names the OS
 * user behind each connection itself (a file-ownership proof, see gateway/control/README.md); a
 * client's claim is never taken. OS users act as the gateway user they are linked to
 * (`users link-os <osuser> <gatewayuser>`); unlinked ones are refused unless trusted here.
 */
export const controlSectionSchema = z.strictObject({
  /** Socket path; default <dataDir>/control.sock (the data dir is 0700: only its owner and root reach it). */
  socket: z.string().min(1).optional(),
  /**
   * OS group whose members may connect (socket 0660, proof directory 1730, both of that group).
   * Without it the socket is 0600: only the gateway's OS user and root reach it.
   */
  group: z.string().min(1).max(64).optional(),
  /**
   * OS users who may act without a link, as `os:<name>` with the admin role. They can read and write
   * gateway.db directly, so refusing them protects nothing; their actions are still named in the audit.
   */
  trustedOsUsers: z.array(osUserNameSchema).default(['root']),
  /** Whether the OS user the gateway runs as is trusted likewise. */
  trustGatewayOsUser: z.boolean().default(true),
});
export type ControlSection = z.infer<typeof controlSectionSchema>;
