/**
 * What `pnpm start` and `pnpm carecircle` run: the bundles scripts/build.mjs makes, under
 * `node --enable-source-maps`. The bundled form must find what the sources find next to
 * themselves (the dashboard's build, the SQLite worker's file, the npm packages) from wherever
 * the bundle sits; `pnpm dev` still runs the sources through tsx.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../support/api';
import {
  bundleDir,
  cliProcess,
  type PlatformProcess,
  ROOT,
  type RunFrom,
  removeDir,
  startPlatform,
  tempDir,
} from '../support/harness';

const BUNDLES = ['server.mjs', 'demo.mjs', 'carecircle.mjs', 'carecircle-sim.mjs'];

/** 200 from the health route, or undefined while it is not (yet) healthy. */
async function healthy(baseUrl: string): Promise<true | undefined> {
  const res = await fetch(`${baseUrl}/api/v1/health`);
  await res.body?.cancel();
  return res.status === 200 ? true : undefined;
}

describe('the built start', () => {
  let outdir: string;
  const dirs: string[] = [];
  let platform: PlatformProcess | undefined;

  beforeAll(async () => {
    outdir = await bundleDir();
  });

  afterAll(async () => {
    await platform?.stop();
    for (const dir of dirs) removeDir(dir);
  });

  function dataDir(): string {
    const dir = tempDir();
    dirs.push(dir);
    return dir;
  }

  it('puts each bundle next to its source map and the files its code opens next to itself', () => {
    for (const bundle of BUNDLES) {
      const code = readFileSync(join(outdir, bundle), 'utf8');
      expect(code.endsWith(`//# sourceMappingURL=${bundle}.map\n`), `${bundle} links its map`).toBe(true);
      expect(existsSync(join(outdir, `${bundle}.map`)), `${bundle}.map`).toBe(true);
      for (const [, name] of code.matchAll(/new URL\("\.\/([^"]+)", import\.meta\.url\)/g)) {
        expect(existsSync(join(outdir, name!)), `${name} next to ${bundle}`).toBe(true);
      }
    }
  });

  it.each<[RunFrom, string]>([
    ['bundle', 'pnpm start'],
    ['source', 'pnpm dev'],
  ])('from the %s (%s): healthy, serving the dashboard page, the CLI working beside it', async (from) => {
    expect(existsSync(join(ROOT, 'dashboard/dist/index.html')), 'the dashboard is built (pnpm build)').toBe(true);
    const dir = dataDir();
    platform = await startPlatform(dir, {}, from);
    await waitFor(() => healthy(platform!.baseUrl), 30_000, 'GET /api/v1/health to answer 200');

    const page = await fetch(`${platform.baseUrl}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await page.text()).toMatch(/<script[^>]+src="\/assets\/[^"]+\.js"/);

    // The CLI as its own process, on the same data directory while the platform runs.
    const cli = await cliProcess(dir, ['site', 'add', '--name', 'Built Home', '--json'], from);
    expect(cli.code, cli.stderr).toBe(0);
    expect(JSON.parse(cli.stdout)).toMatchObject({ id: expect.stringMatching(/^site_/) });

    await platform.stop();
    expect((await platform.exited).code).toBe(0);
    platform = undefined;
  });
});
