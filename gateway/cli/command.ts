/** One `npm run gateway -- <name> …` command. */
export interface Command {
  summary: string;
  /** Usage line shown by `help`, e.g. "run --config <file> [--mqtt-port <n>]". */
  usage: string;
  /** Returns the process exit code. */
  run(argv: string[]): Promise<number>;
}
