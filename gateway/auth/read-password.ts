/**
 * Reads a password without it ever being a command-line argument (visible in `ps` and shell history):
 * on a terminal, prompted with echo off (twice, to catch typos); when stdin is a pipe, its first line.
 */
export async function readPassword(prompt: string, input: NodeJS.ReadStream = process.stdin, output: NodeJS.WriteStream = process.stderr): Promise<string> {
  if (!input.isTTY) return readFirstLine(input);
  const first = await promptHidden(prompt, input, output);
  const second = await promptHidden('再次输入 [repeat]: ', input, output);
  if (first !== second) throw new Error('两次输入的密码不一致 [the passwords do not match]');
  return first;
}

function readFirstLine(input: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const done = () => {
      input.removeListener('data', onData);
      input.removeListener('end', onEnd);
      input.removeListener('error', reject);
      (input as NodeJS.ReadStream).pause?.();
      const line = text.split(/\r?\n/)[0] ?? '';
      if (!line) reject(new Error('no password on stdin (pipe one line, or run on a terminal to be prompted)'));
      else resolve(line);
    };
    const onData = (d: Buffer | string) => {
      text += d.toString();
      if (text.includes('\n') || text.length > 4096) done();
    };
    const onEnd = () => done();
    input.on('data', onData);
    input.once('end', onEnd);
    input.once('error', reject);
  });
}

function promptHidden(prompt: string, input: NodeJS.ReadStream, output: NodeJS.WriteStream): Promise<string> {
  return new Promise((resolve, reject) => {
    // Echo off before the prompt shows: anything typed after it must never appear.
    input.setRawMode(true);
    input.resume();
    output.write(prompt);
    let text = '';
    const finish = (err?: Error) => {
      input.setRawMode(false);
      input.pause();
      input.removeListener('data', onData);
      output.write('\n');
      if (err) reject(err);
      else resolve(text);
    };
    const onData = (d: Buffer) => {
      for (const ch of d.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return finish();
        if (ch === '\u0003') return finish(new Error('cancelled'));
        if (ch === '\u007f' || ch === '\b') text = [...text].slice(0, -1).join('');
        else if (ch >= ' ') text += ch;
      }
    };
    input.on('data', onData);
  });
}
