import { RegisterServer } from './register-server.js';

/**
 * Many simulated Modbus TCP devices in one process, for load tests and large demos: N servers on
 * free loopback ports, each with `registers` holding registers that change every `tickMs`.
 *
 * usage: tsx simulators/modbus/many-devices.ts [devices=100] [registers=100] [tickMs=100]
 * Prints one JSON line {"ports":[…]} once every server listens; stops on SIGTERM / SIGINT.
 */
export class ManyDevices {
  readonly servers: RegisterServer[] = [];
  private timer: NodeJS.Timeout | undefined;
  protected step = 0;

  constructor(
    protected readonly devices: number,
    protected readonly registers: number,
    private readonly tickMs: number,
  ) {}

  async start(): Promise<number[]> {
    for (let i = 0; i < this.devices; i++) {
      const s = new RegisterServer();
      await s.start();
      this.servers.push(s);
    }
    this.tick();
    this.timer = setInterval(() => this.tick(), this.tickMs);
    return this.servers.map((s) => s.port);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await Promise.all(this.servers.map((s) => s.stop()));
  }

  /** Moves every register once; subclasses write other patterns (the benchmark plant's alarms). */
  protected tick(): void {
    this.step++;
    this.servers.forEach((s, d) => {
      const h = s.bank(1).holding;
      for (let r = 0; r < this.registers; r++) h[r] = (this.step + d * 7 + r * 13) & 0x0fff;
    });
  }
}

const isMain = process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/^.*\//, '/'));
if (isMain) {
  const [devices = 100, registers = 100, tickMs = 100] = process.argv.slice(2).map(Number);
  const sim = new ManyDevices(devices, registers, tickMs);
  const ports = await sim.start();
  process.stdout.write(JSON.stringify({ ports }) + '\n');
  const bye = () =>
    void sim.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`stop failed: ${String(err)}\n`);
        process.exit(1);
      },
    );
  process.on('SIGTERM', bye);
  process.on('SIGINT', bye);
}
