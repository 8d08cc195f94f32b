// First: mqtt-packet's and mqtt.js's disabled debug loggers allocate per packet unless quietened
// before they are created (gateway/mqtt/quiet-packet-debug.ts).
import '../mqtt/quiet-packet-debug.js';
import { COMMANDS } from './commands.js';
import { guardStandardStreams } from './output-guard.js';

// Before anything prints: a closed stdout or stderr must never stop the gateway.
guardStandardStreams();

async function help(): Promise<void> {
  const lines = ['usage: npm run gateway -- <command> [options]', '', 'commands:'];
  for (const [name, load] of Object.entries(COMMANDS)) {
    const cmd = await load();
    lines.push(`  ${name.padEnd(10)} ${cmd.summary}`, `  ${''.padEnd(10)} ${cmd.usage}`);
  }
  console.log(lines.join('\n'));
}

async function main(): Promise<number> {
  const [name, ...rest] = process.argv.slice(2);
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    await help();
    return name ? 0 : 1;
  }
  const load = COMMANDS[name];
  if (!load) {
    console.error(`unknown command "${name}"`);
    await help();
    return 1;
  }
  return (await load()).run(rest);
}

/**
 * The command has finished: the process ends with its code. A handle some library left open (a
 * simulator socket, a retry timer) must not keep a finished gateway or demo alive and deaf to
 * signals; the grace period lets output drain.
 */
function finish(code: number): void {
  process.exitCode = code;
  setTimeout(() => process.exit(code), 2000).unref();
}

main().then(finish, (err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  finish(1);
});
