/**
 * The stability playground in headless Chromium: the report site built into a temporary folder (from the committed
 * results/), served on loopback. The page trains in a Web Worker on wasm, and its numbers equal a Node run of
 * playground-core with the same settings; on gpujs (WebGL2 through SwiftShader, Chromium's software GPU) its PWMCC
 * agrees with wasm's within 1e-3; without WebGL the page says so and runs on wasm; bad settings in the address
 * are refused with a message; Train writes the settings into the address; Stop stops a run.
 *
 * Needs Debian's chromium at /usr/bin/chromium (apt-get install chromium).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setBackend } from '@saelab/tensor';
import { runPlayground, type PlaygroundSummary } from '../../apps/report-site/src/scripts/playground-core.js';
import { parseSettings } from '../../apps/report-site/src/scripts/playground-settings.js';

const root = resolve(import.meta.dirname, '../..');
const shots = resolve(import.meta.dirname, 'screenshots');
const CHROMIUM = '/usr/bin/chromium';
const COMMON = ['--headless', '--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];
const NO_GPU = [...COMMON, '--disable-gpu'];
/**
 * No WebGL, in workers too (--disable-gpu alone, or --disable-3d-apis, still lets a worker's OffscreenCanvas have
 * one).
 */
const NO_WEBGL = [...NO_GPU, '--disable-software-rasterizer'];
const SWIFTSHADER = [...COMMON, '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--ignore-gpu-blocklist'];
/** Small enough for SwiftShader: two SAEs of 64 latents on 1,024 samples, 3 epochs (48 steps in all). */
const SETTINGS = 'd=16&features=32&samples=1024&active=2&seeds=0,1&k=3&dsae=64&epochs=3&batch=128';

const tmp = mkdtempSync(join(tmpdir(), 'saelab-playground-'));
const siteDir = join(tmp, 'site');
const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript',
  '.css': 'text/css', '.json': 'application/json', '.svg': 'image/svg+xml' };

function serve(dir: string): Promise<Server> {
  const server = createServer((req, res) => {
    let file = join(dir, normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)));
    if (!file.startsWith(dir)) { res.writeHead(403).end(); return; }
    if (existsSync(join(file, 'index.html'))) file = join(file, 'index.html');
    if (!existsSync(file)) { res.writeHead(404).end('not found'); return; }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok(server)));
}

let server: Server;
let base: string;
const browsers: Browser[] = [];
const timings: Record<string, number> = {};

async function open(args: string[], query: string): Promise<{ page: Page; errors: string[] }> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args });
  browsers.push(browser);
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(`${base}/playground/?${query}`, { waitUntil: 'load' });
  return { page, errors };
}

const ENDED = '#status[data-state="done"], #status[data-state="failed"], #status[data-state="invalid"]';

/** Waits for the run to end; returns the page's numbers (the full values in data-value). */
async function finished(page: Page, timeout = 60_000) {
  await page.waitForSelector(ENDED, { timeout });
  const status = (await page.textContent('#status')) ?? '';
  expect(await page.getAttribute('#status', 'data-state'), status).toBe('done');
  const value = async (sel: string) => Number(await page.getAttribute(sel, 'data-value'));
  const saes = await page.$$eval('#saes tbody tr', (rows) => rows.map((r) => ({
    seed: Number((r as HTMLElement).dataset.seed),
    ...Object.fromEntries(Array.from(r.querySelectorAll('td'))
      .map((td) => [td.dataset.metric, Number(td.dataset.value)])),
  })));
  return { status, backend: (await page.textContent('#backend')) ?? '', note: (await page.textContent('#backend-note'))
    ?? '', pwmcc: await value('#pwmcc'), chance: await value('#chance'), saes: saes as Record<string, number>[] };
}

let node: PlaygroundSummary;
let wasmPwmcc: number;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  let t0 = performance.now();
  // Its own outDir; results from the committed results/ (the build's default).
  const b = spawnSync('npm', ['run', 'build:site', '--workspace', '@saelab/report-site', '--', '--outDir', siteDir],
    { cwd: root, encoding: 'utf8', env: { ...process.env, CI: 'true', ASTRO_TELEMETRY_DISABLED: '1' } });
  expect(b.status, b.stdout + b.stderr).toBe(0);
  timings.build = performance.now() - t0;
  t0 = performance.now();
  await setBackend('wasm');
  node = await runPlayground(parseSettings(SETTINGS), () => {});
  timings.node = performance.now() - t0;
  server = await serve(siteDir);
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  mkdirSync(shots, { recursive: true });
}, 240_000);

afterAll(async () => {
  for (const b of browsers) await b.close();
  server?.close();
  rmSync(tmp, { recursive: true, force: true });
  console.log(`playground e2e timings (s): ${Object.entries(timings).map(([k, v]) => `${k} ${(v / 1000).toFixed(1)}`)
    .join(', ')}`);
});

describe('the stability playground', () => {
  it('trains on wasm in a worker, and every number equals a Node run of the same settings', async () => {
    const t0 = performance.now();
    const { page, errors } = await open(NO_GPU, `backend=wasm&${SETTINGS}`);
    const r = await finished(page);
    console.log(`playground wasm: ${r.status}`);
    expect(r.backend).toBe('wasm');
    expect(r.pwmcc).toBe(node.pwmcc.mean);
    expect(r.chance).toBe(node.chance);
    expect(r.saes.map((s) => s.seed)).toEqual([0, 1]);
    for (const [i, s] of r.saes.entries()) {
      const n = node.saes[i]!;
      expect(s).toMatchObject({ loss: n.loss, l0: n.l0, ev: n.explainedVariance, dead: n.deadFraction,
        mmcs: n.truth.mmcs, recovered90: n.truth.recovered90, recovered99: n.truth.recovered99,
        matched: n.truth.matchedCosine });
    }
    expect(await page.$$eval('#loss-chart polyline', (l) => l.length)).toBe(2); // one loss curve per seed
    expect(await page.$$eval('#pwmcc-chart polyline', (l) => l.length)).toBe(2); // the curve and the chance level
    expect(await page.getAttribute('#heatmap', 'data-rows')).toBe('64');
    expect(await page.getAttribute('#heatmap', 'data-cols')).toBe('32');
    expect(errors).toEqual([]);
    await page.screenshot({ path: join(shots, 'playground.png'), fullPage: true });
    wasmPwmcc = r.pwmcc;
    timings.wasm = performance.now() - t0;
  });

  it('trains on gpujs (WebGL2 on SwiftShader), its PWMCC within 1e-3 of wasm\'s', async () => {
    const t0 = performance.now();
    const { page, errors } = await open(SWIFTSHADER, `backend=gpujs&${SETTINGS}`);
    const r = await finished(page, 120_000);
    const gap = Math.abs(r.pwmcc - node.pwmcc.mean);
    console.log(`playground gpujs: ${r.status}; backend ${r.backend}; PWMCC gap ${gap}`);
    expect(r.note).toBe('');
    expect(r.backend).toBe('gpujs (WebGL2)');
    expect(r.pwmcc).not.toBe(wasmPwmcc ?? node.pwmcc.mean); // computed on the GPU, in another float order
    expect(Math.abs(r.pwmcc - node.pwmcc.mean)).toBeLessThan(1e-3);
    expect(errors).toEqual([]);
    timings.gpujs = performance.now() - t0;
  });

  it('says so and runs on wasm where gpujs finds no WebGL', async () => {
    const { page } = await open(NO_WEBGL, `backend=gpujs&${SETTINGS}`);
    const r = await finished(page);
    expect(r.backend).toBe('wasm');
    expect(r.note).toMatch(/gpu\.js found no WebGL here .*; running on wasm instead\./);
    expect(r.pwmcc).toBe(node.pwmcc.mean);
  });

  it('refuses bad settings in the address, writes good ones into it, and stops on Stop', async () => {
    const { page, errors } = await open(NO_GPU, 'k=abc');
    await page.waitForSelector(ENDED);
    expect(await page.getAttribute('#status', 'data-state')).toBe('invalid');
    expect(await page.textContent('#settings-error')).toContain("k must be a whole number from 1 to 512 (got 'abc')");
    await page.fill('input[name=k]', '3');
    await page.fill('input[name=epochs]', '40'); // long enough to stop
    await page.click('#train');
    await page.waitForSelector('#status[data-state="running"]');
    expect(new URL(page.url()).searchParams.get('epochs')).toBe('40');
    expect(new URL(page.url()).searchParams.get('k')).toBe('3');
    await page.waitForFunction(() => document.querySelectorAll('#loss-chart polyline').length > 0);
    const t0 = performance.now();
    await page.evaluate(() => 1); // the page answers while the worker trains
    expect(performance.now() - t0).toBeLessThan(1000);
    await page.click('#stop');
    expect(await page.getAttribute('#status', 'data-state')).toBe('stopped');
    const step = await page.textContent('#step');
    await page.waitForTimeout(500);
    expect(await page.textContent('#step')).toBe(step);
    expect(errors).toEqual([]);
  });
});
