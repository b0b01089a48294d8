/** Debian's Chromium as the browser tests drive it (playwright-core), headless, with a profile of its own. */
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { removeDir, tempDir } from './harness';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** `extraArgs`: e.g. `--autoplay-policy=no-user-gesture-required`, so an alarm sounds on a fresh page. */
export function launchChromium(
  profile: string,
  locale: string,
  extraArgs: readonly string[] = [],
): Promise<BrowserContext> {
  return chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    args: [...CHROMIUM_ARGS, ...extraArgs],
    locale,
  });
}

/** A fresh Chromium profile preferring `locale`, closed and removed afterwards. */
export async function withBrowser(locale: string, use: (page: Page) => Promise<void>): Promise<void> {
  const profile = tempDir('cc-chromium-');
  const browser = await launchChromium(profile, locale);
  try {
    await use(browser.pages()[0] ?? (await browser.newPage()));
  } finally {
    await browser.close();
    removeDir(profile);
  }
}

/** Nothing on the page reaches past `width` (names the first elements that do), and nothing scrolls sideways. */
export async function expectFits(page: Page, width: number): Promise<void> {
  const wide = await page.evaluate(`[...document.querySelectorAll('body *')]
    .filter((e) => e.getBoundingClientRect().right > ${width} + 0.5)
    .map((e) => e.tagName.toLowerCase() + '.' + [...e.classList].join('.') + ' ' + Math.round(e.getBoundingClientRect().right))
    .slice(0, 5)`);
  expect(wide).toEqual([]);
  expect(Number(await page.evaluate('document.documentElement.scrollWidth'))).toBeLessThanOrEqual(width);
}
