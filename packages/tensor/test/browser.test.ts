/**
 * The gpujs backend in a browser: Chromium (headless, WebGL through its SwiftShader software
 * GPU) runs every kernel family in WebGL2, the mode gpu.js picks in browsers, and in WebGL 1,
 * against the reference backend, and trains a small MLP. Node's HeadlessGL is WebGL 1 only, so
 * this is where the GLSL that gpu.js writes for WebGL2 is exercised.
 *
 * Needs Debian's chromium at /usr/bin/chromium (apt-get install chromium); skipped without it,
 * except in CI (CI=true), where a missing browser fails the test.
 */
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectAllClose } from './helpers.js';
import type { PageResult } from './browser/page.js';

const CHROMIUM = '/usr/bin/chromium';

describe.skipIf(!existsSync(CHROMIUM) && !process.env.CI)('gpujs in Chromium', () => {
  let server: Server;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    const bundle = await build({
      entryPoints: [fileURLToPath(new URL('./browser/page.ts', import.meta.url))],
      bundle: true, format: 'esm', platform: 'browser', write: false, logLevel: 'error',
    });
    const script = bundle.outputFiles[0]!.text;
    server = createServer((req, res) => {
      const js = req.url === '/page.js';
      res.writeHead(200, { 'content-type': js ? 'text/javascript' : 'text/html' });
      res.end(js ? script : '<!doctype html><script type="module" src="/page.js"></script>');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    browser = await chromium.launch({ executablePath: CHROMIUM });
    page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    await page.waitForFunction(() => 'runGpujs' in globalThis);
  });

  afterAll(async () => {
    await browser?.close();
    server?.close();
  });

  const modes = [['webgl2', 'WebGL2'], ['webgl', 'WebGL']];
  const title = 'in %s mode every kernel family matches the reference, and an MLP trains alike';
  it.each(modes)(title, async (request, mode) => {
    type Page = { runGpujs: (m: string) => Promise<PageResult> };
    const result = await page.evaluate((m) => (globalThis as unknown as Page).runGpujs(m), request);
    expect(result.mode).toBe(mode);
    // Ten times the parity tests' unscaled tolerances (helpers.ts' NUMERICS), as these chain reductions
    // over tens of terms: the worst measured through SwiftShader is 1.5e-5 relative, in the matmuls.
    const [rtol, atol] = [1e-4, 1e-5];
    for (const [name, { got, want }] of Object.entries(result.cases)) {
      expect(got.length, name).toBe(want.length);
      expectAllClose(got, want, rtol, atol);
    }
    expect(result.losses.want[29]).toBeLessThan(result.losses.want[0]! / 2);
    expectAllClose(result.losses.got, result.losses.want, rtol, 0);
  });
});
