/**
 * The dashboard as the platform serves it: compressed, its content-hashed assets cacheable for
 * good, the page that names them always fresh, and no source maps.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PlatformProcess, removeDir, startPlatform, tempDir } from '../support/harness';

describe('the dashboard’s web assets', () => {
  let dir: string;
  let platform: PlatformProcess;

  beforeAll(async () => {
    dir = tempDir();
    platform = await startPlatform(dir);
  });
  afterAll(async () => {
    await platform?.stop();
    removeDir(dir);
  });

  it('serves the bundle with brotli or gzip, cached immutably; the page uncached; no source map', async () => {
    const page = await fetch(`${platform.baseUrl}/`, { headers: { 'accept-encoding': 'gzip' } });
    expect(page.status).toBe(200);
    expect(page.headers.get('cache-control')).toBe('no-cache');
    const html = await page.text();
    const script = /<script[^>]+src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();

    for (const encoding of ['br', 'gzip']) {
      const res = await fetch(`${platform.baseUrl}${script}`, { headers: { 'accept-encoding': encoding } });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-encoding')).toBe(encoding);
      expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      const body = await res.text(); // fetch decodes it
      expect(body).not.toContain('sourceMappingURL');
    }
    expect((await fetch(`${platform.baseUrl}${script}.map`)).status).toBe(404);
  });
});
