/**
 * Issue #2, in a real browser (Debian's Chromium driven by playwright-core): staff logs in, an
 * SOS is published, the alert appears on the open page without a reload, staff acknowledges and
 * resolves it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Alert } from '@carecircle/protocol';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertDetail, login, sendSos } from '../support/api';
import { launchChromium, withBrowser } from '../support/browser';
import { type PlatformProcess, ROOT, removeDir, startPlatform, tempDir } from '../support/harness';
import { provisionWorld, type World } from '../support/world';

describe('staff dashboard in Chromium', () => {
  let dir: string;
  let profile: string;
  let platform: PlatformProcess;
  let world: World;
  let context: BrowserContext;
  let page: Page;
  /** Errors the page logged, content-policy refusals among them; checked at the end. */
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    if (!existsSync(join(ROOT, 'dashboard/dist/index.html'))) {
      throw new Error(
        'dashboard/dist is missing: `pnpm test` builds it; run `pnpm --filter @carecircle/dashboard build`',
      );
    }
    dir = tempDir();
    profile = tempDir('cc-chromium-');
    world = await provisionWorld(dir);
    platform = await startPlatform(dir);
    context = await launchChromium(profile, 'en-US');
    page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
  });

  afterAll(async () => {
    await context?.close();
    await platform?.stop();
    removeDir(dir);
    removeDir(profile);
  });

  it('shows a wrong password as an error and stays on the login page', async () => {
    await page.goto(platform.baseUrl);
    await page.getByTestId('login-username').fill(world.staffA.username);
    await page.getByTestId('login-password').fill('not-the-password');
    await page.getByTestId('login-submit').click();
    await expect.poll(() => page.getByTestId('login-error').isVisible()).toBe(true);
  });

  it('logs in, sees an SOS arrive live, acknowledges and resolves it', async () => {
    await page.getByTestId('login-password').fill(world.staffA.password);
    await page.getByTestId('login-submit').click();
    await page.getByTestId('connection-status').and(page.locator('[data-state="live"]')).waitFor();
    await page
      .locator(`[data-testid="resident-tile"][data-resident-id="${world.residentA}"][data-status="ok"]`)
      .waitFor();
    expect(await page.getByTestId('alert-item').count()).toBe(0);

    // The device presses SOS while the page stays open: no reload from here on.
    await sendSos(platform.mqttUrl, world.device, 'browser-sos');

    const item = page.locator('[data-testid="alert-item"][data-kind="sos"]');
    await item.and(page.locator('[data-state="open"]')).waitFor();
    await page
      .locator(`[data-testid="resident-tile"][data-resident-id="${world.residentA}"][data-status="alert"]`)
      .waitFor();
    const alertId = await item.getAttribute('data-alert-id');
    expect(alertId).toMatch(/^alt_/);
    await expect.poll(() => item.textContent()).toContain('王秀英');

    // Unclaimed and critical: it takes over the page, sounds, and the tab's title says so.
    const takeover = page.getByTestId('takeover');
    await takeover.and(page.locator(`[data-alert-id="${alertId}"]`)).waitFor();
    expect(await takeover.getAttribute('data-sound')).toBe('on');
    await expect.poll(() => page.title()).toMatch(/^\(1\) Unclaimed alarm — /);
    await page.getByTestId('takeover-mute').click();
    expect(await takeover.getAttribute('data-sound')).toBe('muted');
    expect(await takeover.isVisible()).toBe(true); // muting the sound never hides it
    if (process.env.SCREENSHOT_DIR) {
      await page.screenshot({ path: join(process.env.SCREENSHOT_DIR, 'takeover.png'), fullPage: true });
    }
    // On a 360 px phone it still fits, nothing scrolls sideways.
    await page.setViewportSize({ width: 360, height: 740 });
    expect(Number(await page.evaluate('document.documentElement.scrollWidth'))).toBeLessThanOrEqual(360);
    expect(await page.getByTestId('takeover-claim').isVisible()).toBe(true);
    if (process.env.SCREENSHOT_DIR) {
      await page.screenshot({ path: join(process.env.SCREENSHOT_DIR, 'takeover-phone.png'), fullPage: true });
    }
    await page.setViewportSize({ width: 1280, height: 720 });

    // Nobody had claimed it: ring 1 (the site's staff) was paged, and the timeline says whom.
    await item.locator('.alert-item__summary').click();
    const paged = item.locator('[data-testid="timeline-page"][data-ring="1"]');
    await paged.waitFor();
    expect(await paged.textContent()).toContain(`Ring 1: ${world.staffA.username}`);
    if (process.env.SCREENSHOT_DIR) {
      await page.screenshot({ path: join(process.env.SCREENSHOT_DIR, 'timeline-paged.png'), fullPage: true });
    }

    await item.getByTestId('alert-ack').click();
    await item.and(page.locator('[data-state="acknowledged"]')).waitFor();
    // Claimed: the takeover and the title give way.
    await takeover.waitFor({ state: 'detached' });
    await expect.poll(() => page.title()).not.toMatch(/Unclaimed alarm/);

    await item.getByTestId('alert-resolve').click();
    await page.getByTestId('resolve-outcome').selectOption('false_alarm');
    await page.getByTestId('resolve-note').fill('pressed by accident while dressing');
    await page.getByTestId('resolve-confirm').click();
    await item.waitFor({ state: 'detached' });
    await page
      .locator(`[data-testid="resident-tile"][data-resident-id="${world.residentA}"][data-status="ok"]`)
      .waitFor();

    // What the browser did is what the server recorded, attributed to the staff member.
    const token = await login(platform.baseUrl, world.staffA.username, world.staffA.password);
    const detail = await alertDetail(platform.baseUrl, token, alertId!);
    const alert: Alert = detail.body.alert;
    expect(alert).toMatchObject({
      state: 'resolved',
      outcome: 'false_alarm',
      note: 'pressed by accident while dressing',
    });
    expect(alert.acknowledgedBy?.name).toBe(world.staffA.username);
    const changes = detail.body.timeline.filter((t) => t.action !== 'paged');
    expect(changes.map((t) => t.toState)).toEqual(['open', 'acknowledged', 'resolved']);
    // Nobody had claimed it when it came in: ring 1 (the site's staff) was paged once.
    expect(detail.body.timeline.filter((t) => t.action === 'paged').map((t) => t.page?.ring)).toEqual([1]);
  });

  it('switches to Chinese and remembers it', async () => {
    await page.getByTestId('lang-switch').selectOption('zh-CN');
    await expect.poll(() => page.locator('html').getAttribute('lang')).toBe('zh-CN');
    await page.reload();
    await page.getByTestId('connection-status').and(page.locator('[data-state="live"]')).waitFor();
    expect(await page.locator('html').getAttribute('lang')).toBe('zh-CN');
    expect(await page.getByTestId('logout').textContent()).toMatch(/[\u4e00-\u9fff]/);

    // The takeover and the timeline's page speak Chinese too.
    await sendSos(platform.mqttUrl, world.device, 'browser-sos-zh');
    const takeover = page.getByTestId('takeover');
    await takeover.waitFor();
    expect(await page.getByTestId('takeover-claim').textContent()).toBe('认领');
    await expect.poll(() => page.title()).toMatch(/^\(1\) 有告警无人认领 — /);
    const item = page.locator('[data-testid="alert-item"][data-state="open"]');
    await item.locator('.alert-item__summary').click();
    const paged = item.locator('[data-testid="timeline-page"][data-ring="1"]');
    await paged.waitFor();
    expect(await paged.textContent()).toContain('第 1 级');
    for (const [width, height, name] of [
      [1280, 720, 'zh-takeover.png'],
      [360, 740, 'zh-takeover-phone.png'],
    ] as const) {
      await page.setViewportSize({ width, height });
      if (process.env.SCREENSHOT_DIR) {
        await page.screenshot({ path: join(process.env.SCREENSHOT_DIR, name), fullPage: true });
      }
      expect(Number(await page.evaluate('document.documentElement.scrollWidth'))).toBeLessThanOrEqual(width);
    }
    await page.setViewportSize({ width: 1280, height: 720 });
    await page.getByTestId('takeover-claim').click();
    await takeover.waitFor({ state: 'detached' });
  });

  it('opens in Chinese for a browser that prefers Chinese', async () => {
    await withBrowser('zh-CN', async (zhPage) => {
      await zhPage.goto(platform.baseUrl);
      await zhPage.getByTestId('login-submit').waitFor();
      expect(await zhPage.locator('html').getAttribute('lang')).toBe('zh-CN');
      expect(await zhPage.getByTestId('login-submit').textContent()).toMatch(/[\u4e00-\u9fff]/);
    });
  });

  it('the page ran without a console error (no content-policy refusal among them)', () => {
    // The first test's wrong password is an expected 401 the browser reports as a failed load.
    expect(consoleErrors.filter((e) => !e.includes('401'))).toEqual([]);
  });

  it('the API docs page loads under its own content policy, without a refusal', async () => {
    const errors: string[] = [];
    const docs = await context.newPage();
    docs.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    await docs.goto(`${platform.baseUrl}/api/docs`);
    await docs.getByText('/api/v1/alerts', { exact: true }).first().waitFor();
    await docs.close();
    expect(errors).toEqual([]);
  });

  it('a family member sees only their relative, and is offered no action on the alert', async () => {
    await withBrowser('en-US', async (p) => {
      await p.goto(platform.baseUrl);
      await p.getByTestId('login-username').fill(world.familyA.username);
      await p.getByTestId('login-password').fill(world.familyA.password);
      await p.getByTestId('login-submit').click();
      await p.getByTestId('connection-status').and(p.locator('[data-state="live"]')).waitFor();
      await p.locator(`[data-testid="resident-tile"][data-resident-id="${world.residentA}"]`).waitFor();
      expect(await p.getByTestId('resident-tile').count()).toBe(1);

      // The neighbour presses SOS first, then the relative's device: only the relative's shows.
      for (const d of [world.neighbour, world.device]) await sendSos(platform.mqttUrl, d, `family-${d.id}`);
      const item = p.locator('[data-testid="alert-item"][data-kind="sos"]');
      await item.waitFor();
      await expect.poll(() => item.textContent()).toContain('王秀英');
      expect(await p.getByTestId('alert-item').count()).toBe(1);
      expect(await item.getByTestId('alert-ack').count()).toBe(0);
      expect(await item.getByTestId('alert-resolve').count()).toBe(0);
    });
  });
});
