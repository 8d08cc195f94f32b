import { parseArgs, type ParseArgsConfig } from 'node:util';

/** Parses command options; unknown options are errors with the command's usage. */
export function parseOptions<T extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: T, usage: string) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw new Error(`${(err as Error).message}\nusage: npm run gateway -- ${usage}`, { cause: err });
  }
}

export function portOption(text: string | undefined, name: string): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`${name} must be a port number 0–65535, got "${text}"`);
  return n;
}
