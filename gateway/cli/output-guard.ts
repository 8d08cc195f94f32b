/**
 * The terminal is not the gateway's reason to run. When the reader of stdout or stderr goes away
 * (`run … | head -3`, a closed SSH session), writes fail with EPIPE; without a listener that error is
 * thrown as an uncaught exception and ends the process. Here a failed stream is set aside and the
 * gateway keeps monitoring; alarms still go to MQTT, the journal and the sinks.
 */
export function guardStandardStreams(streams: { stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream } = process): void {
  const closed = new Set<string>();
  const onError = (name: 'stdout' | 'stderr') => (err: NodeJS.ErrnoException) => {
    if (closed.has(name)) return;
    closed.add(name);
    // Say once, on the other stream if it still works, why terminal output stopped.
    const other = name === 'stdout' ? streams.stderr : streams.stdout;
    const otherName = name === 'stdout' ? 'stderr' : 'stdout';
    if (!closed.has(otherName) && other.writable) {
      other.write(`${new Date().toISOString()} WARN  [gateway] ${name} closed (${err.code ?? err.message}): output there stops, the gateway keeps running\n`);
    }
  };
  streams.stdout.on('error', onError('stdout'));
  streams.stderr.on('error', onError('stderr'));
}
