import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HiddenDangerService } from '../../../../gateway/services/hidden-danger/service.js';
import { waitFor } from '../../../helpers/ports.js';
import { PASSWORD, startPlant, type Plant } from '../api/harness.js';

const ARTIFACTS = join(process.cwd(), 'tests', 'artifacts');
const PHONE = { width: 390, height: 844 };
/** A 1×1 PNG (the phone's camera in the test). */
const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8ffff3f0005fe02fea7d6a5240000000049454e44ae426082', 'hex');

/**
 * The closed loop in Debian's chromium against a real gateway: a CO HH alarm lasting past the
 * dispatch rule opens a record; the shift leader assesses it, the operator rectifies it on a phone
 * with a photo, the leader rejects once, the engineer accepts (销号). Screenshots in tests/artifacts/.
 */
describe('hidden-danger pages in a browser', () => {
  let plant: Plant;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  async function open(user: string, viewport = { width: 1440, height: 1000 }): Promise<Page> {
    const ctx = await browser.newContext({ viewport, locale: 'zh-CN', timezoneId: 'Asia/Shanghai', isMobile: viewport.width < 500, hasTouch: viewport.width < 500 });
    contexts.push(ctx);
    const page = await ctx.newPage();
    await page.goto(plant.base + '/');
    await page.fill('input[name=name]', user);
    await page.fill('input[name=password]', PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForSelector('table.alarms');
    return page;
  }

  async function step(page: Page, id: string, kind: string, fields: Record<string, string> = {}): Promise<void> {
    // Fresh from the server (the same hash again would not re-render the page).
    await page.goto(`${plant.base}/#/hazard/${id}`);
    await page.reload();
    await page.click(`#hz-actions button[data-step=${kind}]`);
    if (Object.keys(fields).length) {
      await page.waitForSelector('#dialog[open]');
      for (const [name, v] of Object.entries(fields)) await page.fill(`#dialog [name=${name}]`, v);
      await page.click('#dialog button[value=ok]');
      // Closed, or an error shown in it (then the test names it).
      await page.waitForFunction(() => !(document.querySelector('#dialog') as HTMLDialogElement).open || document.querySelector('#dialog .error')?.textContent);
      expect(await page.evaluate(() => document.querySelector('#dialog .error')?.textContent ?? '')).toBe('');
    }
  }

  const stateText = (page: Page) => page.textContent('h2 .hz-state');

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    plant = await startPlant({
      hiddenDanger: {
        rules: [{ id: 'co-hh', name: '加压机房CO高高报持续（自动派单）', match: { alarmId: ['booster.co:HH'] }, when: { kind: 'active', for: '1s' }, proposeClosureAfter: '2s' }],
        responsible: [{ area: 'gas', role: 'operator' }],
      },
    });
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

  it('from an alarm to 销号: dispatch, assess, rectify on a phone with a photo, reject, resubmit, accept', async () => {
    const svc = plant.gateway.service<HiddenDangerService>('hidden-danger')!;
    plant.setCo(200);
    await plant.waitState('booster.co:HH', 'UNACK');
    await waitFor(() => svc.store.list({ open: true }).length === 1, 10_000, 'dispatched record');
    const id = svc.store.list({ open: true })[0]!.id;
    plant.setCo(3);

    // The shift leader's tasks: the new record, to assess.
    const leader = await open('super1');
    await leader.click('nav a[href="#/hazards"]');
    await leader.waitForSelector(`table.hz-list tr[data-id="${id}"]`);
    expect(await leader.textContent(`tr[data-id="${id}"] .hz-state`)).toBe('已登记');
    await leader.screenshot({ path: join(ARTIFACTS, 'hazards-my-tasks-leader.png') });
    await leader.click(`tr[data-id="${id}"] .hz-name a`);
    await leader.waitForSelector('#hz-trend svg, #hz-trend .empty');
    expect(await leader.textContent('.hazard')).toContain('booster.co:HH');
    await step(leader, id, 'assess', { controlMeasures: '检修煤气管道法兰，加强通风', liablePerson: 'op-gas' });
    await leader.waitForFunction(() => document.querySelector('h2 .hz-state')?.textContent === '已评估');
    await leader.screenshot({ path: join(ARTIFACTS, 'hazard-detail-assessed.png'), fullPage: true });

    // The operator on a phone: my tasks, start, photo, submit.
    const phone = await open('op-gas', PHONE);
    await phone.goto(`${plant.base}/#/hazards/mine`);
    await phone.waitForSelector(`tr[data-id="${id}"]`);
    await phone.screenshot({ path: join(ARTIFACTS, 'hazards-my-tasks-phone.png') });
    await step(phone, id, 'start');
    await phone.waitForFunction(() => document.querySelector('h2 .hz-state')?.textContent === '整改中');
    await phone.setInputFiles('#hz-photo-form input[name=photos]', { name: 'after.png', mimeType: 'image/png', buffer: PNG });
    await phone.click('#hz-photo-form button[type=submit]');
    await phone.waitForSelector('img.hz-photo');
    expect(await phone.evaluate(() => (document.querySelector('img.hz-photo') as HTMLImageElement).complete && (document.querySelector('img.hz-photo') as HTMLImageElement).naturalWidth)).toBe(1);
    await step(phone, id, 'submit', { rectification: '更换法兰垫片，复测 CO 3 ppm' });
    await phone.waitForFunction(() => document.querySelector('h2 .hz-state')?.textContent === '待验收');
    // The operator who rectified sees no acceptance button.
    expect(await phone.$('#hz-actions button[data-step=accept]')).toBeNull();
    await phone.screenshot({ path: join(ARTIFACTS, 'hazard-detail-phone-submitted.png'), fullPage: true });

    // The leader rejects once with a reason.
    await step(leader, id, 'reject', { reason: '法兰处复测仍有 20 ppm' });
    await leader.waitForFunction(() => document.querySelector('h2 .hz-state')?.textContent === '整改中');
    expect(await leader.textContent('.hz-note.bad')).toContain('法兰处复测仍有 20 ppm');

    await step(phone, id, 'submit', { rectification: '重新紧固并更换阀门，复测 0 ppm' });
    await phone.waitForFunction(() => document.querySelector('h2 .hz-state')?.textContent === '待验收');

    // The alarm has been normal for longer than proposeClosureAfter: closure is proposed, not made.
    const engineer = await open('eng1');
    await engineer.goto(`${plant.base}/#/hazard/${id}`);
    await engineer.waitForSelector('.hz-note.ok');
    expect(await engineer.textContent('.hz-note.ok')).toContain('建议销号');
    expect(await stateText(engineer)).toBe('待验收');
    await step(engineer, id, 'accept', { comment: '复测合格，同意销号' });
    await engineer.waitForFunction(() => document.querySelector('h2 .hz-state')?.textContent === '已验收销号');
    const history = await engineer.$$eval('table.hz-history tbody tr td:nth-child(3)', (tds) => tds.map((t) => t.textContent));
    // Each submission after the alarm had been normal long enough was proposed for closure.
    expect(history).toEqual(['登记', '评估', '开始整改', '上传照片', '提交验收', '建议销号', '验收不通过', '提交验收', '建议销号', '验收销号']);
    await engineer.screenshot({ path: join(ARTIFACTS, 'hazard-detail-closed.png'), fullPage: true });
    expect(svc.store.get(id)).toMatchObject({ state: 'closed', checkAcceptPerson: 'eng1', rectifiedBy: 'op-gas', assessedBy: 'super1' });
    // The alarm's own page links to the record it opened.
    await engineer.goto(`${plant.base}/#/alarm/booster.co:HH`);
    await engineer.waitForSelector(`#d-hazards a[href="#/hazard/${id}"]`);
    expect(await engineer.textContent('#d-hazards')).toContain('已验收销号');
  }, 90_000);

  it('registration by hand on a phone with a photo, the filtered list and the statistics', async () => {
    const phone = await open('op-dust', PHONE);
    await phone.goto(`${plant.base}/#/hazards/new`);
    await phone.fill('#hz-new [name=dangerName]', '二层平台护栏缺失');
    await phone.fill('#hz-new [name=dangerDesc]', '巡检发现东侧护栏缺失约 2 米');
    await phone.fill('#hz-new [name=equipment]', '1#除尘器');
    await phone.selectOption('#hz-new [name=dangerLevel]', 'major');
    await phone.setInputFiles('#hz-new input[name=photos]', { name: 'before.png', mimeType: 'image/png', buffer: PNG });
    await phone.screenshot({ path: join(ARTIFACTS, 'hazard-register-phone.png'), fullPage: true });
    await phone.click('#hz-new button[type=submit]');
    await phone.waitForSelector('.hazard img.hz-photo');
    expect(await stateText(phone)).toBe('已登记');

    const leader = await open('super1');
    await leader.goto(`${plant.base}/#/hazards/all`);
    await leader.waitForSelector('table.hz-list');
    await leader.selectOption('#hz-level', 'major');
    await leader.waitForFunction(() => document.querySelectorAll('table.hz-list tbody tr').length === 1 && document.querySelector('table.hz-list .hz-name')?.textContent?.includes('护栏'));
    await leader.screenshot({ path: join(ARTIFACTS, 'hazards-all-filtered.png') });
    await leader.goto(`${plant.base}/#/hazards/stats`);
    await leader.waitForSelector('#st-open');
    expect(await leader.textContent('#st-open')).toBe('1');
    expect(await leader.textContent('#st-closed')).toBe('1');
    await leader.screenshot({ path: join(ARTIFACTS, 'hazards-stats.png') });
  }, 60_000);
});
