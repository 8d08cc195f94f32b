import { createInterface } from 'node:readline';
import { ManyDevices } from './many-devices.js';

/**
 * The plant of the whole-gateway Modbus benchmark: N Modbus TCP devices on free loopback ports, each
 * with `registers` holding registers. Registers 1… drift inside the normal band (raw 100–500, i.e.
 * 10.0–50.0 with the benchmark's 0.1 scale) and change on every tick; register 0 of each device is
 * the alarm register: 90.0 (above HH 80) for 2 s of every 5 s, phase-shifted per device, else 20.0.
 * The simulator records every rise of an alarm register, so the benchmark can tell which alarms the
 * gateway should have raised, and counts the requests each device answered (polls, device side).
 *
 * usage: node bench-plant.js [devices=100] [registers=100] [tickMs=100]
 * Prints {"ports":[…]} once listening. On a stdin line "stats" it prints
 * {"requests":[per device…],"rises":[[device, ms since epoch]…]}. Stops on SIGTERM / stdin close.
 */
const CYCLE_MS = 5000;
const HIGH_MS = 2000;

export class BenchPlant extends ManyDevices {
  readonly rises: [number, number][] = [];
  private readonly high: boolean[] = [];

  protected override tick(): void {
    this.step++;
    const now = Date.now();
    this.servers.forEach((s, d) => {
      const h = s.bank(1).holding;
      for (let r = 1; r < this.registers; r++) h[r] = 100 + ((this.step + d * 7 + r * 13) % 400);
      const high = (now + d * 50) % CYCLE_MS < HIGH_MS;
      if (high && !this.high[d]) this.rises.push([d, now]);
      this.high[d] = high;
      h[0] = high ? 900 : 200;
    });
  }

  stats(): { requests: number[]; rises: [number, number][] } {
    return { requests: this.servers.map((s) => s.totalRequests()), rises: this.rises };
  }
}

const isMain = process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/^.*\//, '/'));
if (isMain) {
  const [devices = 100, registers = 100, tickMs = 100] = process.argv.slice(2).map(Number);
  const plant = new BenchPlant(devices, registers, tickMs);
  const ports = await plant.start();
  process.stdout.write(JSON.stringify({ ports }) + '\n');
  const bye = (): void => {
    plant.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', bye);
  process.on('SIGINT', bye);
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (l) => {
    if (l.trim() === 'stats') process.stdout.write(JSON.stringify(plant.stats()) + '\n');
  });
  lines.on('close', bye);
}
