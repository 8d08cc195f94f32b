import { loadConfigOrThrow } from '../config/load.js';

/** The data dir of the gateway a CLI command talks to: --data-dir, else the config's, else .data. */
export function resolveDataDir(opts: { 'data-dir'?: string | undefined; config?: string | undefined }): string {
  if (opts['data-dir']) return opts['data-dir'];
  if (opts.config) return loadConfigOrThrow(opts.config).storage.dataDir;
  return '.data';
}
