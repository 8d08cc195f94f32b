import { format } from 'node:util';
import { setDebugLogger, setErrorLogger, setWarningLogger } from 'node-opcua';
import type { Logger } from '../../gateway/core/logger.js';

let sink: Logger | undefined;
let installed = false;

/**
 * node-opcua prints multi-line warnings (certificate dumps, retry notices) straight to the console.
 * The adapter reports what matters itself, in Chinese, with the fix; node-opcua's own text goes to
 * the given logger at debug level (or nowhere), so the gateway's log stays readable.
 */
export function quietNodeOpcua(log?: Logger): void {
  if (log) sink = log.child('node-opcua');
  if (installed) return;
  installed = true;
  const forward = (data?: unknown, ...rest: unknown[]) => {
    if (sink) sink.debug(format(data, ...rest).trim());
  };
  setWarningLogger(forward);
  setErrorLogger(forward);
  setDebugLogger(forward);
}
