import { loadConfigOrThrow } from '../config/load.js';

/** The data dir of the gateway a CLI command talks to: --data-dir, else the config's, else .data. */
export function resolveDataDir(opts: { 'data-dir'?: string | undefined; config?: string | undefined }): string {
  if (opts['data-dir']) return opts['data-dir'];
  if (opts.config) return loadConfigOrThrow(opts.config).storage.dataDir;
  return '.data';
}

/** The control socket of that gateway: --socket, else the config's control.socket, else <dataDir>/control.sock. */
export function resolveControlTarget(opts: { 'data-dir'?: string | undefined; config?: string | undefined; socket?: string | undefined }): { dataDir: string; socket: string | undefined } {
  if (opts.config && !opts['data-dir']) {
    const cfg = loadConfigOrThrow(opts.config);
    return { dataDir: cfg.storage.dataDir, socket: opts.socket ?? cfg.control.socket };
  }
  return { dataDir: resolveDataDir(opts), socket: opts.socket };
}
