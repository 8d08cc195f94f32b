import { createServer } from 'node:net';
import { join } from 'node:path';
import {
  DataType,
  MessageSecurityMode,
  OPCUACertificateManager,
  OPCUAServer,
  SecurityPolicy,
  StatusCodes,
  VariantArrayType,
  makeEUInformation,
  nodesets,
  type StatusCode,
  type UAVariable,
} from 'node-opcua';
import type { Logger } from '../../gateway/core/logger.js';
import { silentLogger } from '../../gateway/core/logger.js';
import type { PlcModel, SimSignal, SimValue } from './model.js';
import { quietNodeOpcua } from '../../adapters/opcua/node-opcua-logging.js';

export interface PlcServerOptions {
  /** Listen address; loopback unless the demo is shown to other machines. */
  host?: string;
  /** 0 picks a free port; a restart keeps the port first chosen. */
  port?: number;
  /** Folder for the server's own certificate and the client certificates it has seen. */
  pkiDir: string;
  /** Simulation step and publish period, ms. */
  tickMs?: number;
  /** Simulated seconds per real second (tests run minute-long scenarios in seconds). */
  speed?: number;
  /** Username/password pairs accepted besides anonymous and X.509 users. */
  users?: ReadonlyArray<{ username: string; password: string }>;
  allowAnonymous?: boolean;
  /**
   * MinimumSamplingInterval of the variables, ms. 0 (default) makes node-opcua serve monitored
   * items exception-based: each change is reported (coalesced over the client's sampling interval)
   * without a sampling timer per item, which is what lets one process serve thousands of items.
   */
  minimumSamplingInterval?: number;
  log?: Logger;
}

/**
 * One simulated PLC as an OPC UA server: the model's signals as AnalogItem / Boolean variables under
 * Objects/<folder>, NodeIds `ns=1;s=<folder>.<BrowseName>`, with EngineeringUnits and EURange.
 * Exposes every security mode and the three current policies. Accepts any client certificate (it is
 * a simulator; the gateway side is the one that must not trust blindly).
 */
export class PlcServer {
  private server: OPCUAServer | undefined;
  private readonly variables = new Map<string, UAVariable>();
  private readonly lastPublished = new Map<string, { value: SimValue; status: number }>();
  private readonly statusOverride = new Map<string, StatusCode>();
  private timer: NodeJS.Timeout | undefined;
  private lastTick = 0;
  private chosenPort: number;
  /** Value changes written to the address space since start (the benchmark's offered load). */
  changesPublished = 0;
  private readonly log: Logger;

  constructor(
    readonly model: PlcModel,
    private readonly options: PlcServerOptions,
  ) {
    this.chosenPort = options.port ?? 0;
    this.log = (options.log ?? silentLogger).child(`sim-${model.id}`);
  }

  get port(): number {
    return this.chosenPort;
  }

  get endpointUrl(): string {
    return `opc.tcp://${this.options.host ?? '127.0.0.1'}:${this.chosenPort}`;
  }

  /** NodeId string of a signal, e.g. ns=1;s=BF1.TopPressure. */
  nodeId(key: string): string {
    return `ns=1;s=${this.model.folder}.${this.model.signal(key).browseName}`;
  }

  get running(): boolean {
    return this.server !== undefined;
  }

  async start(): Promise<void> {
    if (this.server) return;
    quietNodeOpcua(this.options.log);
    // node-opcua throws a port conflict from inside its listen callback, where nothing can catch it:
    // check first, so a busy port is a clear error instead of a crashed process.
    if (this.chosenPort !== 0) await assertPortFree(this.options.host ?? '127.0.0.1', this.chosenPort);
    const pki = new OPCUACertificateManager({ rootFolder: join(this.options.pkiDir, 'server'), automaticallyAcceptUnknownCertificate: true });
    await pki.initialize();
    const userPki = new OPCUACertificateManager({ rootFolder: join(this.options.pkiDir, 'users'), automaticallyAcceptUnknownCertificate: true });
    await userPki.initialize();
    const users = this.options.users ?? [];
    const host = this.options.host ?? '127.0.0.1';
    const server = new OPCUAServer({
      host,
      hostname: host,
      port: this.chosenPort,
      serverCertificateManager: pki,
      userCertificateManager: userPki,
      nodeset_filename: [nodesets.standard],
      securityModes: [MessageSecurityMode.None, MessageSecurityMode.Sign, MessageSecurityMode.SignAndEncrypt],
      securityPolicies: [SecurityPolicy.None, SecurityPolicy.Basic256Sha256, SecurityPolicy.Aes128_Sha256_RsaOaep, SecurityPolicy.Aes256_Sha256_RsaPss],
      allowAnonymous: this.options.allowAnonymous ?? true,
      userManager: { isValidUser: (u: string, p: string) => users.some((x) => x.username === u && x.password === p) },
      isAuditing: false,
      // ASCII name: it becomes the certificate subject, which many tools cannot show in Chinese.
      serverInfo: { applicationName: { text: `${this.model.folder} PLC simulator`, locale: 'en' }, applicationUri: `urn:yejin-gateway:simulator:${this.model.id}` },
      buildInfo: { productName: 'yejin-gateway PLC simulator', manufacturerName: 'yejin-gateway' },
      serverCapabilities: { maxSessions: 50, operationLimits: { maxMonitoredItemsPerCall: 10000, maxNodesPerRead: 10000, maxNodesPerBrowse: 5000 } },
    });
    await server.initialize();
    this.buildAddressSpace(server);
    await server.start();
    const endpoint = server.endpoints[0];
    if (endpoint) this.chosenPort = endpoint.port;
    this.server = server;
    this.lastTick = Date.now();
    this.timer = setInterval(() => this.tick(), this.options.tickMs ?? 500);
    this.log.info(`${this.model.title} 模拟器已启动 ${this.endpointUrl}`);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    const server = this.server;
    this.server = undefined;
    this.variables.clear();
    this.lastPublished.clear();
    this.folder = undefined;
    if (server) await server.shutdown(0);
  }

  /** Stops and starts again on the same port, as a PLC reboot or a server service restart does. */
  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /** Forces a value (like a PLC force table) and publishes it now. */
  set(key: string, value: SimValue): void {
    this.model.force(key, value);
    this.publish(key, new Date());
  }

  release(key: string): void {
    this.model.release(key);
  }

  /**
   * Publishes a signal with a status code such as BadSensorFailure or UncertainLastUsableValue
   * (by name), or back to Good with 'Good'.
   */
  setStatus(key: string, statusName: string): void {
    const code = (StatusCodes as unknown as Record<string, StatusCode | undefined>)[statusName];
    if (!code) throw new Error(`unknown OPC UA status code name "${statusName}"`);
    this.model.signal(key);
    if (statusName === 'Good') this.statusOverride.delete(key);
    else this.statusOverride.set(key, code);
    this.lastPublished.delete(key);
    this.publish(key, new Date());
  }

  private folder: Parameters<PlcServer['addVariable']>[1] | undefined;

  /** Deletes a tag from the address space, as a PLC program download that drops it would. */
  removeTag(key: string): void {
    const variable = this.variables.get(key);
    if (!variable || !this.server) return;
    this.server.engine.addressSpace!.deleteNode(variable);
    this.variables.delete(key);
    this.lastPublished.delete(key);
  }

  /** Adds a removed tag back (the next program download); clients must find it on their own. */
  restoreTag(key: string): void {
    if (this.variables.has(key) || !this.server || !this.folder) return;
    const ns = this.server.engine.addressSpace!.getOwnNamespace();
    this.variables.set(key, this.addVariable(ns, this.folder, this.model.signal(key)));
    this.publish(key, new Date());
  }

  private buildAddressSpace(server: OPCUAServer): void {
    const addressSpace = server.engine.addressSpace!;
    const ns = addressSpace.getOwnNamespace();
    const folder = ns.addFolder(addressSpace.rootFolder.objects, {
      browseName: this.model.folder,
      nodeId: `s=${this.model.folder}`,
      displayName: `${this.model.title} ${this.model.folder}`,
    });
    this.folder = folder;
    const now = new Date();
    for (const s of this.model.signals) {
      const variable = this.addVariable(ns, folder, s);
      this.variables.set(s.key, variable);
      this.publish(s.key, now);
    }
  }

  private addVariable(ns: ReturnType<NonNullable<OPCUAServer['engine']['addressSpace']>['getOwnNamespace']>, folder: Parameters<typeof ns.addVariable>[0]['componentOf'], s: SimSignal): UAVariable {
    const nodeId = `s=${this.model.folder}.${s.browseName}`;
    const description = `${s.name} ${s.browseName}`;
    if (s.kind === 'bool') {
      return ns.addVariable({ componentOf: folder, browseName: s.browseName, nodeId, displayName: s.name, description, dataType: 'Boolean', minimumSamplingInterval: this.options.minimumSamplingInterval ?? 0 });
    }
    return ns.addAnalogDataItem({
      componentOf: folder,
      browseName: s.browseName,
      nodeId,
      displayName: s.name,
      description,
      dataType: 'Double',
      minimumSamplingInterval: this.options.minimumSamplingInterval ?? 0,
      ...(s.kind === 'analogArray' ? { valueRank: 1, arrayDimensions: [s.length ?? 0] } : {}),
      engineeringUnitsRange: s.range ?? { low: 0, high: 100 },
      ...(s.unit ? { engineeringUnits: makeEUInformation(s.unit.code, s.unit.symbol, s.unit.name) } : {}),
    });
  }

  private writeValue(s: SimSignal, variable: UAVariable, value: SimValue, status: StatusCode, ts: Date): void {
    const variant =
      s.kind === 'bool'
        ? { dataType: DataType.Boolean, value: value === true }
        : s.kind === 'analogArray'
          ? { dataType: DataType.Double, arrayType: VariantArrayType.Array, value: Float64Array.from(value as number[]) }
          : { dataType: DataType.Double, value: value as number };
    variable.setValueFromSource(variant, status, ts);
  }

  /** Publishes a signal if its rounded value or status changed, with the given source timestamp. */
  private publish(key: string, ts: Date): void {
    const variable = this.variables.get(key);
    if (!variable) return;
    const value = this.model.published(key);
    const status = this.statusOverride.get(key) ?? StatusCodes.Good;
    const prev = this.lastPublished.get(key);
    if (prev && prev.status === status.value && sameValue(prev.value, value)) return;
    this.lastPublished.set(key, { value, status: status.value });
    this.writeValue(this.model.signal(key), variable, value, status, ts);
    this.changesPublished++;
  }

  private tick(): void {
    const now = Date.now();
    const dt = Math.min(5, (now - this.lastTick) / 1000) * (this.options.speed ?? 1);
    this.lastTick = now;
    const before = this.model.activeScenario;
    this.model.tick(dt);
    if (before && !this.model.activeScenario) this.log.info(`场景 ${before} 结束，恢复正常工况`);
    // One timestamp for the whole scan, as a PLC stamps one cycle.
    const ts = new Date(now);
    for (const s of this.model.signals) this.publish(s.key, ts);
  }
}

function assertPortFree(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (err: NodeJS.ErrnoException) =>
      reject(new Error(`OPC UA 模拟器端口 ${host}:${port} 不可用（${err.code ?? err.message}）：换一个端口或停止占用它的程序`)),
    );
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
}

function sameValue(a: SimValue, b: SimValue): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => x === b[i]);
  return a === b;
}
