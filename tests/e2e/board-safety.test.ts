/**
 * Issue #8's safety console in a real browser (Debian's Chromium): a night-time wandering
 * incident from simulated sensors of a resident with dementia takes over the board and sounds
 * (Web Audio, counted in the page), escalates to ring 2, is claimed, followed through en route
 * and on scene, resolved, and stays in today's history with its outcome and note. Device
 * problems are apart from care alerts and say which device and why. A resident's care profile
 * is edited on the board. A supervisor sees every site at once, and the chosen site survives a
 * reload. The night theme and large type stay chosen. When the server stops answering, the board
 * says "reconnecting" within seconds and greys out its actions; it recovers by itself.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertDetail, getJson, login } from '../support/api';
import { expectFits, launchChromium } from '../support/browser';
import { cli, type PlatformProcess, ROOT, removeDir, startPlatform, tempDir } from '../support/harness';
import { addNightSensors, armNightDrill, type NightSensors, sense } from '../support/night';
import { provisionWorld, type World } from '../support/world';

/** Counts the tones the page really starts through Web Audio. */
const COUNT_TONES = `
  window.__tones = 0;
  const start = OscillatorNode.prototype.start;
  OscillatorNode.prototype.start = function (...args) { window.__tones += 1; return start.apply(this, args); };
`;

const shot = async (page: Page, name: string) => {
  if (process.env.SCREENSHOT_DIR)
    await page.screenshot({ path: join(process.env.SCREENSHOT_DIR, name), fullPage: true });
};

describe('the board as a safety console, in Chromium', () => {
  let dir: string;
  let profile: string;
  let world: World;
  let platform: PlatformProcess;
  let supervisor: { username: string; password: string };
  let context: BrowserContext;
  let page: Page;
  const clients: MqttClient[] = [];
  let devices: NightSensors;
  const consoleErrors: string[] = [];

  const sensor = (name: 'door' | 'bed', payload: Record<string, unknown>) =>
    sense(platform.mqttUrl, devices[name], payload, clients);

  beforeAll(async () => {
    if (!existsSync(join(ROOT, 'dashboard/dist/index.html'))) {
      throw new Error('dashboard/dist is missing: run `pnpm --filter @carecircle/dashboard build`');
    }
    dir = tempDir();
    profile = tempDir('cc-chromium-');
    world = await provisionWorld(dir);
    supervisor = await cli(dir, ['user', 'add', '--username', 'night-lead', '--role', 'supervisor']);
    devices = await addNightSensors(dir, world);
    platform = await startPlatform(dir);
    // The alarm must sound without a click on this fresh page (a signed-in workstation has had one).
    context = await launchChromium(profile, 'en-US', ['--autoplay-policy=no-user-gesture-required']);
    await context.addInitScript(COUNT_TONES);
    page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });

    // Night from a minute ago for two hours (site zone), a 3 s return window, ring 2 after 2 s.
    const lead = await login(platform.baseUrl, supervisor.username, supervisor.password);
    const nurse = await login(platform.baseUrl, world.staffA.username, world.staffA.password);
    await armNightDrill(platform.baseUrl, { lead, nurse }, world, devices);
  });

  afterAll(async () => {
    for (const c of clients) c.end(true);
    await context?.close();
    await platform?.stop();
    removeDir(dir);
    removeDir(profile);
  });

  it('a wandering incident takes over, sounds, escalates, is followed through and stays in the history', async () => {
    await page.goto(platform.baseUrl);
    await page.getByTestId('login-username').fill(world.staffA.username);
    await page.getByTestId('login-password').fill(world.staffA.password);
    await page.getByTestId('login-submit').click();
    await page.getByTestId('connection-status').and(page.locator('[data-state="live"]')).waitFor();
    await page.getByTestId('history').waitFor();

    // Out of bed, then the exit door; nobody comes back inside.
    await sensor('bed', { eventId: 'board-bed-1', type: 'bed', data: { occupied: false } });
    await sensor('door', { eventId: 'board-door-1', type: 'door', data: { open: true } });

    const takeover = page.getByTestId('takeover');
    await takeover.waitFor({ timeout: 15_000 });
    expect(await takeover.textContent()).toContain('Left at night');
    expect(await takeover.getAttribute('data-sound')).toBe('on');
    // The tone really plays, and repeats (two tones every two seconds).
    await expect.poll(() => page.evaluate('window.__tones'), { timeout: 10_000 }).toBeGreaterThanOrEqual(4);
    await expect.poll(() => page.title()).toMatch(/^\(1\) Unclaimed alarm — /);

    const item = page.locator('#alert-queue [data-testid="alert-item"][data-kind="wandering"]');
    await item.waitFor();
    // The ladder's progress on the item: nobody claimed it within 2 s, so ring 2 was paged.
    const ring = item.getByTestId('alert-ring');
    await expect.poll(() => ring.textContent(), { timeout: 10_000 }).toMatch(/^ring 2 paged \d\d:\d\d$/);
    await item.locator('.alert-item__summary').click();
    await item.locator('[data-testid="timeline-page"][data-ring="2"]').waitFor();
    const facts = item.getByTestId('timeline-facts');
    await facts.waitFor();
    expect(await facts.textContent()).toMatch(
      /^\d\d:\d\d bed empty · \d\d:\d\d exit door opened · not back inside within 3 s$/,
    );
    await shot(page, 'wandering-takeover.png');
    await page.setViewportSize({ width: 360, height: 740 });
    await expectFits(page, 360);
    await shot(page, 'wandering-takeover-phone.png');
    await page.setViewportSize({ width: 1280, height: 800 });

    // Claimed from the banner: the takeover, the title and the sound give way.
    await page.getByTestId('takeover-claim').click();
    await takeover.waitFor({ state: 'detached' });
    await expect.poll(() => page.title()).not.toMatch(/Unclaimed alarm/);
    const tones = Number(await page.evaluate('window.__tones'));
    await item.and(page.locator('[data-state="acknowledged"]')).waitFor();
    await item.getByTestId('alert-en-route').click();
    await item.and(page.locator('[data-state="en_route"]')).waitFor();
    expect(await item.getByTestId('alert-en-route').count()).toBe(0); // each step once, in order
    await item.getByTestId('alert-on-scene').click();
    await item.and(page.locator('[data-state="on_scene"]')).waitFor();
    await item.getByTestId('alert-resolve').click();
    await page.getByTestId('resolve-outcome').selectOption('assisted_no_injury');
    await page.getByTestId('resolve-note').fill('found in the corridor, walked back to bed');
    await page.getByTestId('resolve-confirm').click();
    await item.waitFor({ state: 'detached' });
    expect(Number(await page.evaluate('window.__tones'))).toBe(tones); // silent once claimed

    const entry = page.locator('[data-testid="history-entry"][data-kind="wandering"]');
    await entry.waitFor();
    expect(await entry.getAttribute('data-outcome')).toBe('assisted_no_injury');
    expect(await entry.getByTestId('history-note').textContent()).toBe('found in the corridor, walked back to bed');
    // A reload keeps it: today's history comes from the server, not the page's memory.
    await page.reload();
    await entry.waitFor();

    const token = await login(platform.baseUrl, world.staffA.username, world.staffA.password);
    const id = String(await entry.getAttribute('data-alert-id'));
    const { body } = await alertDetail(platform.baseUrl, token, id);
    expect(body.timeline.filter((e) => e.action === 'transition').map((e) => e.toState)).toEqual([
      'acknowledged',
      'en_route',
      'on_scene',
      'resolved',
    ]);
    expect(
      body.timeline.filter((e) => e.action === 'transition').every((e) => e.actor.name === world.staffA.username),
    ).toBe(true);
  });

  it('shows a device problem apart from care alerts, with which device and why', async () => {
    await sensor('door', { eventId: 'board-battery-1', type: 'battery', data: { percent: 7 } });
    const problem = page.locator('#device-queue [data-testid="alert-item"][data-kind="low_battery"]');
    await problem.waitFor();
    expect(await page.locator('#alert-queue [data-kind="low_battery"]').count()).toBe(0);
    const detail = problem.getByTestId('device-problem');
    await expect.poll(() => detail.textContent()).toContain('Battery 7 %');
    expect(await detail.textContent()).toContain(`Door sensor · ${devices.door.id} · exit door`);
    await shot(page, 'device-problem.png');
  });

  it("edits a resident's care profile on the board: away pauses the home rules", async () => {
    const tile = page.locator(`[data-testid="resident-tile"][data-resident-id="${world.residentA}"]`);
    await tile.getByTestId('care-open').click();
    const dialog = page.getByTestId('care-dialog');
    await page.getByTestId('care-presence-away').waitFor();
    // The site's value is visible where the resident has none of their own.
    expect(await dialog.textContent()).toContain('Site:');
    expect(await page.getByTestId('care-rule-wanderingReturnMinutes').inputValue()).toBe('0.05');
    await page.getByTestId('care-presence-away').check();
    await shot(page, 'care-dialog.png');
    await page.getByTestId('care-save').click();
    await dialog.waitFor({ state: 'detached' });
    const nurse = await login(platform.baseUrl, world.staffA.username, world.staffA.password);
    const saved = await getJson<{ care: { presence: string; wanderingRisk: boolean; rules: Record<string, unknown> } }>(
      platform.baseUrl,
      `/api/v1/residents/${world.residentA}/care`,
      nurse,
    );
    // Only what was changed changed: the risk flag and the own window are kept.
    expect(saved.body.care).toMatchObject({
      presence: 'away',
      wanderingRisk: true,
      rules: { wanderingReturnMinutes: 0.05 },
    });
  });

  it('keeps the night theme and large type chosen, across a reload', async () => {
    await page.getByTestId('display-night').click();
    await page.getByTestId('display-large').click();
    await page.reload();
    await page.getByTestId('connection-status').and(page.locator('[data-state="live"]')).waitFor();
    expect(await page.locator('html').getAttribute('data-theme')).toBe('night');
    expect(await page.locator('html').getAttribute('data-size')).toBe('large');
    expect(await page.getByTestId('display-night').getAttribute('aria-pressed')).toBe('true');
    // Dark ground, light text: the theme really applies.
    const bg = String(await page.evaluate('getComputedStyle(document.documentElement).backgroundColor'));
    expect(bg).toBe('rgb(13, 19, 18)');
    await shot(page, 'night-large.png');
    await page.setViewportSize({ width: 360, height: 740 });
    await expectFits(page, 360);
    await shot(page, 'night-large-phone.png');
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.getByTestId('display-night').click();
    await page.getByTestId('display-large').click();
  });

  it('says "reconnecting" within seconds when the server stops answering, greys out actions, and recovers', async () => {
    const problem = page.locator('#device-queue [data-testid="alert-item"][data-kind="low_battery"]');
    await problem.waitFor();
    const pid = platform.child.pid!;
    // Stopped, not killed: no connection closes, so only the heartbeat can tell.
    process.kill(pid, 'SIGSTOP');
    try {
      const stoppedAt = Date.now();
      await page
        .getByTestId('connection-status')
        .and(page.locator('[data-state="offline"]'))
        .waitFor({ timeout: 12_000 });
      expect(Date.now() - stoppedAt).toBeLessThan(10_000);
      await page.getByTestId('offline-notice').waitFor();
      expect(await problem.getByTestId('alert-ack').isDisabled()).toBe(true);
      expect(await problem.getByTestId('alert-resolve').isDisabled()).toBe(true);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    await page.getByTestId('connection-status').and(page.locator('[data-state="live"]')).waitFor({ timeout: 20_000 });
    expect(await problem.getByTestId('alert-ack').isDisabled()).toBe(false);
  });

  it('a supervisor sees every site at once with its counts, and the chosen site survives a reload', async () => {
    await page.getByTestId('logout').click();
    await page.getByTestId('login-username').fill(supervisor.username);
    await page.getByTestId('login-password').fill(supervisor.password);
    await page.getByTestId('login-submit').click();
    const cardA = page.locator(`[data-testid="site-card"][data-site-id="${world.siteA}"]`);
    await cardA.waitFor();
    // Site A: the battery is still low; nothing at site B.
    await expect.poll(() => cardA.getAttribute('data-technical')).toBe('1');
    expect(await cardA.getAttribute('data-care')).toBe('0');
    const cardB = page.locator(`[data-testid="site-card"][data-site-id="${world.siteB}"]`);
    expect(await cardB.getAttribute('data-technical')).toBe('0');
    await shot(page, 'overview.png');
    await page.setViewportSize({ width: 360, height: 740 });
    await expectFits(page, 360);
    await page.setViewportSize({ width: 1280, height: 800 });

    await cardA.click();
    // What the nurse saved shows on the tile for everyone: away, and at risk of wandering.
    const tile = page.locator(`[data-testid="resident-tile"][data-resident-id="${world.residentA}"]`);
    await tile.getByTestId('care-badge-away').waitFor();
    expect(await tile.getByTestId('care-badge-wandering').count()).toBe(1);
    expect(new URL(page.url()).searchParams.get('site')).toBe(world.siteA);
    await page.reload();
    await page.getByTestId('connection-status').and(page.locator('[data-state="live"]')).waitFor();
    expect(await page.getByTestId('site-select').inputValue()).toBe(world.siteA);
    await page.getByTestId('resident-tile').first().waitFor();
  });

  it('in Chinese, the history, the device problem and the overview speak Chinese', async () => {
    await page.getByTestId('lang-switch').selectOption('zh-CN');
    await expect.poll(() => page.locator('html').getAttribute('lang')).toBe('zh-CN');
    const detail = page.locator('#device-queue [data-testid="device-problem"]');
    await expect.poll(() => detail.textContent()).toContain('电量 7%');
    expect(await page.locator('#history-title').textContent()).toBe('今日记录');
    await page.locator('[data-testid="history-entry"][data-kind="wandering"] .history-entry__summary').click();
    const facts = page.locator('[data-testid="history-entry"] [data-testid="timeline-facts"]');
    await facts.waitFor();
    expect(await facts.textContent()).toMatch(/^\d\d:\d\d 离床 · \d\d:\d\d 入户门打开 · 3 秒内未返回室内$/);
    for (const [width, height, name] of [
      [1280, 800, 'zh-board.png'],
      [360, 740, 'zh-board-phone.png'],
    ] as const) {
      await page.setViewportSize({ width, height });
      await shot(page, name);
      await expectFits(page, width);
    }
    await page.getByTestId('site-select').selectOption('all');
    await page.getByTestId('site-overview').waitFor();
    expect(await page.locator('#overview-title').textContent()).toBe('全部机构');
    await shot(page, 'zh-overview-phone.png');
    await expectFits(page, 360);
  });

  it('ran without a console error', () => {
    // SIGSTOP makes the socket's polling requests fail while it lasts; nothing else may.
    expect(consoleErrors.filter((e) => !/ERR_|net::|Failed to load resource/.test(e))).toEqual([]);
  });
});
