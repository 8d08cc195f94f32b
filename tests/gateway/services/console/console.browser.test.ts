import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiService } from '../../../../gateway/services/api/service.js';
import { PASSWORD, startPlant, type Plant } from '../api/harness.js';
import { waitFor } from '../../../helpers/ports.js';

const ARTIFACTS = join(process.cwd(), 'tests', 'artifacts');

/**
 * The console in Debian's chromium, driven by playwright-core, against a real gateway polling a
 * Modbus simulator: what an operator and a shift leader do, and what a viewer cannot.
 */
describe('console in a browser', () => {
  let plant: Plant;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  async function open(user: string, viewport = { width: 1920, height: 1080 }): Promise<Page> {
    const ctx = await browser.newContext({ viewport, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
    contexts.push(ctx);
    const page = await ctx.newPage();
    await page.goto(plant.base + '/');
    await page.fill('input[name=name]', user);
    await page.fill('input[name=password]', PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForSelector('table.alarms');
    return page;
  }

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    plant = await startPlant();
    // playwright gives the browser a fresh temporary profile (user-data-dir) of its own and removes it on close.
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
  }, 60_000);

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await plant?.stop();
  });

  it('shows CO HH within 2 s; an operator acknowledges it and a second browser sees it acknowledged', async () => {
    const op = await open('op-gas');
    const shift = await open('super1');
    let raisedAt = 0;
    const sub = plant.gateway.alarms.events$.subscribe((e) => {
      if (e.alarmId === 'booster.co:HH' && e.state === 'UNACK' && !raisedAt) raisedAt = Date.now();
    });
    plant.setCo(200);
    await waitFor(() => raisedAt > 0, 10_000, 'CO HH raised');
    sub.unsubscribe();
    const row = 'tr[data-id="booster.co:HH"]';
    await op.waitForSelector(row, { timeout: 2000 });
    await shift.waitForSelector(row, { timeout: 2000 });
    expect(Date.now() - raisedAt).toBeLessThan(2000 + 500);
    expect(await op.textContent(`${row} .state`)).toBe('报警未确认');
    expect(await op.getAttribute(row, 'class')).toContain('unack');
    await op.screenshot({ path: join(ARTIFACTS, 'alarm-summary-desktop.png') });

    await op.check(`${row} input.sel`);
    await op.click('#ack');
    await shift.waitForFunction((sel) => document.querySelector(`${sel} .state`)?.textContent === '报警已确认', row, { timeout: 5000 });
    expect(plant.gateway.alarms.get('booster.co:HH').state).toBe('ACKED');
    const journal = plant.gateway.alarms.latestEvents().find((e) => e.alarmId === 'booster.co:HH')!;
    expect(journal.user).toBe('op-gas');
  });

  it('a viewer sees the alarms but no action, and the server refuses one anyway', async () => {
    const viewer = await open('viewer1');
    await viewer.waitForSelector('tr[data-id="booster.co:H"]');
    expect(await viewer.isVisible('#ack')).toBe(false);
    expect(await viewer.isVisible('#shelve')).toBe(false);
    expect(await viewer.isVisible('#silence')).toBe(false);
    const status = await viewer.evaluate(async () => {
      const me = (await (await fetch('/api/v1/auth/me')).json()) as { csrfToken: string };
      const r = await fetch('/api/v1/alarms/acknowledge', { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': me.csrfToken }, body: JSON.stringify({ alarmIds: ['booster.co:H'] }) });
      return r.status;
    });
    expect(status).toBe(403);
    expect(plant.gateway.alarms.get('booster.co:H').state).toBe('UNACK');
  });

  it('opens the alarm detail with its trend, transitions and the operator’s comment', async () => {
    const op = await open('op-gas');
    expect(await op.textContent('tr[data-id="booster.co:HH"] .basis')).toBe('依据: GB 6222-2005《工业企业煤气安全规程》');
    await op.click('tr[data-id="booster.co:HH"] a');
    await op.waitForSelector('#d-trend svg.chart');
    await op.click('#d-actions button:has-text("备注")');
    await op.fill('dialog textarea', '已通知煤气防护站');
    await op.click('dialog button[value=ok]');
    await op.waitForSelector('#d-status');
    await waitFor(() => plant.gateway.alarms.latestEvents().find((e) => e.alarmId === 'booster.co:HH')?.comment === '已通知煤气防护站', 5000, 'comment journaled');
    await op.reload();
    await op.waitForSelector('#d-history td:has-text("已通知煤气防护站")');
    expect(await op.textContent('#d-status')).toContain('煤气加压机房');
    // 依据: the standard the alarm enforces, in the detail and under the message in the list.
    expect(await op.textContent('#d-status dd.basis')).toBe('GB 6222-2005《工业企业煤气安全规程》');
    await op.waitForSelector('#d-trend svg.chart path.line');
    await op.screenshot({ path: join(ARTIFACTS, 'alarm-detail.png'), fullPage: true });
  });

  it('searches the journal and exports it as CSV', async () => {
    const op = await open('op-gas');
    await op.goto(plant.base + '/#/journal');
    await op.fill('input[name=user]', 'op-gas');
    await op.selectOption('select[name=kind]', 'ACK');
    await op.click('#jf button.primary');
    await op.waitForSelector('#jr td:has-text("booster.co:HH")');
    const rows = await op.$$eval('#jr tbody tr', (trs) => trs.map((tr) => tr.textContent ?? ''));
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => r.includes('确认') && r.includes('op-gas'))).toBe(true);
    await op.screenshot({ path: join(ARTIFACTS, 'journal.png') });
    const href = await op.getAttribute('#csv', 'href');
    expect(href).toContain('kind=ACK');
    const csv = await op.request.get(plant.base + href!);
    expect(csv.status()).toBe(200);
    const text = await csv.text();
    expect(text).toContain('booster.co:HH');
    expect(text.trim().split('\r\n').slice(1).every((l) => l.includes(',ACK,'))).toBe(true);
  });

  it('resumes after a dropped connection with no missed events', async () => {
    const op = await open('op-gas');
    const api = plant.gateway.service<ApiService>('api')!;
    await waitFor(() => api.liveClients > 0, 5000, 'live stream open');
    // Cut every stream, then change alarms while the browser is reconnecting.
    api.dropLiveClients();
    plant.setDust(120);
    await plant.waitState('dc.hopper_temp:H', 'UNACK');
    plant.gateway.alarms.comment('booster.co:H', 'tester', '断线期间的备注');
    await op.waitForSelector('tr[data-id="dc.hopper_temp:H"]', { timeout: 10_000 });
    const lastSeq = Math.max(...plant.gateway.alarms.latestEvents().map((e) => e.seq));
    await op.waitForFunction((seq) => Number(document.body.dataset.lastSeq) >= seq, lastSeq, { timeout: 10_000 });
    expect(await op.evaluate(() => document.body.dataset.seqGaps ?? '0')).toBe('0');
  });

  it('draws the KPI and points pages, and the summary on a phone', async () => {
    plant.setCo(200);
    await plant.waitState('booster.co:HH', plant.gateway.alarms.get('booster.co:HH').state === 'ACKED' ? 'ACKED' : 'UNACK');
    const op = await open('op-gas');
    await op.goto(plant.base + '/#/kpi');
    await op.waitForSelector('.cards .card');
    await op.screenshot({ path: join(ARTIFACTS, 'kpi.png'), fullPage: true });
    await op.goto(plant.base + '/#/points');
    await op.waitForSelector('#prows tr[data-id="booster.co"]');
    await op.click('#prows tr[data-id="booster.co"] a');
    await op.waitForSelector('#p-trend svg');
    expect(await op.textContent('#prows tr[data-id="booster.co"]')).toContain('200 ppm');
    await op.screenshot({ path: join(ARTIFACTS, 'points.png'), fullPage: true });
    const phone = await open('super1', { width: 390, height: 844 });
    await phone.waitForSelector('tr[data-id="booster.co:HH"]');
    await phone.screenshot({ path: join(ARTIFACTS, 'alarm-summary-phone.png'), fullPage: true });
    // Nothing wider than the phone: no sideways scrolling on the alarm summary.
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
  });
});
