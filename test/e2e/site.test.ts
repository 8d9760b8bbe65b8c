/**
 * The report site end to end: the smoke config's results, built into a static site, served on
 * loopback and read by headless Chromium. Checks that the charts are drawn (SVG marks), that every
 * number on every page equals the one in results.json, that downloads are complete, that the page
 * fits a phone's width, that the playground trains, and that bad results fail the build with a
 * message naming the file and the field. Screenshots land in e2e/screenshots/ for review.
 *
 * Needs Debian's chromium at /usr/bin/chromium (apt-get install chromium).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseResults, type Results } from '@saelab/experiments';

const root = resolve(import.meta.dirname, '../..');
const shots = resolve(import.meta.dirname, 'screenshots');
const CHROMIUM = '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const tmp = mkdtempSync(join(tmpdir(), 'saelab-site-'));
const resultsDir = join(tmp, 'results'); // SAELAB_RESULTS: one subfolder per config
const siteDir = join(tmp, 'site'); // astro --outDir

const run = (cmd: string, args: string[], env: Record<string, string> = {}) =>
  spawnSync(cmd, args, {
    cwd: root, encoding: 'utf8', env: { ...process.env, CI: 'true', ASTRO_TELEMETRY_DISABLED: '1', ...env },
  });

/** `npm run build:site` of the report site, from a results folder into an output folder. */
const buildSite = (results: string, outDir: string) =>
  run('npm', ['run', 'build:site', '--workspace', '@saelab/report-site', '--', '--outDir', outDir],
    { SAELAB_RESULTS: results });

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.json': 'application/json',
  '.svg': 'image/svg+xml',
};

/** A static file server for the built site (directories serve their index.html). */
function serve(dir: string): Promise<Server> {
  const server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
    let file = join(dir, path);
    if (!file.startsWith(dir)) { res.writeHead(403).end(); return; }
    if (existsSync(join(file, 'index.html'))) file = join(file, 'index.html');
    if (!existsSync(file)) { res.writeHead(404).end('not found'); return; }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok(server)));
}

/** The number at a path of results.json, written as the JSON array of its keys (some keys hold dots: "0.99"). */
function lookup(results: Results, path: string): unknown {
  return (JSON.parse(path) as (string | number)[])
    .reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], results);
}

/** Half a unit of the last digit shown: "0.6135" -> 0.00005, "2.5%" -> 0.0005, "1.23e-5" -> 5e-8. */
function halfUnit(text: string): number {
  const m = /^-?\d+(?:\.(\d+))?(?:e([+-]\d+))?%?$/.exec(text);
  if (!m) throw new Error(`'${text}' is not a number as the site writes them`);
  const unit = 10 ** (-(m[1]?.length ?? 0) + Number(m[2] ?? 0));
  return (text.endsWith('%') ? unit / 100 : unit) / 2;
}
const shownValue = (text: string) => (text.endsWith('%') ? Number(text.slice(0, -1)) / 100 : Number(text));

let results: Results;
let server: Server;
let base: string;
let context: BrowserContext;
const timings: Record<string, number> = {};

async function open(path: string): Promise<{ page: Page; errors: string[] }> {
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(base + path, { waitUntil: 'load' });
  return { page, errors };
}

const PAGES = [['overview', '/'], ['copy', '/smoke/copy/'], ['modular', '/smoke/modular/'],
  ['synthetic', '/smoke/synthetic/'], ['findings', '/findings/'], ['statistics', '/statistics/'],
  ['methods', '/methods/'], ['downloads', '/downloads/'], ['run', '/smoke/'], ['latents', '/latents/smoke/copy/'],
] as const;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: install it with`
      + ' `apt-get update && apt-get install -y --no-install-recommends chromium`');
  }
  let t0 = performance.now();
  const r = run('npx', ['saelab', 'run', '--config', 'smoke', '--out', join(resultsDir, 'smoke')]);
  expect(r.status, r.stderr).toBe(0);
  results = parseResults(JSON.parse(readFileSync(join(resultsDir, 'smoke', 'results.json'), 'utf8')), 'results.json');
  timings.smoke = performance.now() - t0;

  t0 = performance.now();
  const b = buildSite(resultsDir, siteDir);
  expect(b.status, b.stdout + b.stderr).toBe(0);
  timings.build = performance.now() - t0;

  server = await serve(siteDir);
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const profile = mkdtempSync(join(tmpdir(), 'saelab-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, args: FLAGS, viewport: { width: 1100, height: 900 },
  });
  mkdirSync(shots, { recursive: true });
}, 240_000);

afterAll(async () => {
  await context?.close();
  server?.close();
  rmSync(tmp, { recursive: true, force: true });
  const seconds = Object.entries(timings).map(([k, v]) => `${k} ${(v / 1000).toFixed(1)}`);
  console.log(`site e2e timings (s): ${seconds.join(', ')}`);
});

describe('report site', () => {
  it('renders every page with charts drawn as SVG marks, and screenshots them', async () => {
    const t0 = performance.now();
    for (const [name, path] of PAGES) {
      const { page, errors } = await open(path);
      const charts = await page.$$eval('figure.chart', (figs) => figs.map((f) => ({
        title: f.querySelector('figcaption strong')?.textContent ?? '',
        label: f.querySelector('svg[aria-label]')?.getAttribute('aria-label') ?? '',
        description: f.querySelector('svg[aria-description]')?.getAttribute('aria-description') ?? '',
        marks: f.querySelectorAll('g[aria-label="dot"] circle, g[aria-label="bar"] rect, g[aria-label="cell"] rect, '
          + 'g[aria-label="line"] path, g[aria-label="rule"] line, g[aria-label="tick"] line').length,
      })));
      for (const c of charts) {
        expect(c.title, `${path}: a chart without a title`).not.toBe('');
        expect(c.label && c.description, `${path}: chart '${c.title}' lacks a text alternative`).toBeTruthy();
        expect(c.marks, `${path}: chart '${c.title}' has no marks`).toBeGreaterThan(0);
      }
      if (name === 'overview') {
        expect(charts.length).toBe(1);
        const dots = await page.$$eval('figure.chart g[aria-label="dot"] circle', (c) => c.length);
        expect(dots).toBe(results.tasks.reduce((n, t) => n + t.pwmcc.pairs.length, 0)); // one per seed pair
      }
      if (name === 'copy' || name === 'modular') {
        // Nine charts, and the cross-seed PWMCC curve where the run recorded one (every smoke task does).
        const task = results.tasks.find((t) => t.name === name)!;
        expect(task.pwmccCurve).toBeDefined();
        expect(charts.length).toBe(9 + (task.pwmccCurve ? 1 : 0));
        expect(charts.map((c) => c.title)).toContain('Cross-seed PWMCC by epoch');
      }
      if (name === 'run') {
        // The run page: its tasks side by side, one row each; recovery shown only where a task has a truth.
        expect(charts.length).toBe(0);
        const rows = await page.$$eval('[data-testid=compare] tbody tr', (trs) => trs.map((tr) => [
          tr.getAttribute('data-task'), tr.querySelector('td[data-column=recovered]')?.textContent?.trim()]));
        expect(rows.map((r) => r[0])).toEqual(results.tasks.map((t) => t.name));
        expect(rows.map((r) => r[1] === '–')).toEqual(results.tasks.map((t) => !t.truth));
      }
      if (name === 'synthetic') {
        // Generated activations: no transformer charts; recovery against agreement, one dot per seed pair, instead.
        const task = results.tasks.find((t) => t.name === name)!;
        expect(task.transformer).toBeUndefined();
        expect(charts.length).toBe(8 + (task.pwmccCurve ? 1 : 0));
        const titles = charts.map((c) => c.title);
        expect(titles).toContain('Recovery against agreement');
        expect(titles).not.toContain('Validation accuracy');
        const dots = await page.$$eval('svg[aria-label^="Recovery of the true features"] g[aria-label="dot"] circle',
          (c) => c.length);
        expect(dots).toBe(task.truth!.pairs.length);
        expect(await page.textContent('[data-testid=data]')).toContain('No transformer here');
      }
      if (name === 'findings') expect(charts.length).toBe(0);
      if (name === 'statistics') expect(charts.length).toBe(1);
      expect(errors, `${path}: console errors`).toEqual([]);
      await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
      await page.close();
    }
    timings.pages = performance.now() - t0;
  });

  it('latent pages: choosing a seed loads that SAE\'s latents file and renders its rows in the task\'s terms',
    async () => {
      const { page, errors } = await open('/latents/smoke/copy/');
      const rowsOf = async (seed: number) => {
        await page.waitForSelector(`[data-latents][data-loaded="${seed}"]`);
        return page.$$eval('#latents-view tbody tr', (trs) => trs.map((tr) => tr.getAttribute('data-latent')));
      };
      const file = (task: string, seed: number) => JSON.parse(readFileSync(join(resultsDir, 'smoke', task,
        `latents-seed${seed}.json`), 'utf8')) as { latents: { latent: number }[] };
      const [first, second] = results.config.seeds as [number, number];
      expect(await rowsOf(first)).toEqual(file('copy', first).latents.map((l) => String(l.latent)));
      expect(await page.$$eval('#latents-view tbody mark', (m) => m.length)).toBeGreaterThan(0); // the read position
      await page.click(`button[data-seed="${second}"]`);
      expect(await rowsOf(second)).toEqual(file('copy', second).latents.map((l) => String(l.latent)));
      const modular = await open('/latents/smoke/modular/');
      await modular.page.waitForSelector(`[data-latents][data-loaded="${first}"]`);
      expect(await modular.page.textContent('#latents-view tbody td:nth-child(4)')).toMatch(/^[-\d.]+: \d+ \+ \d+/);
      expect([...errors, ...modular.errors]).toEqual([]);
      await Promise.all([page.close(), modular.page.close()]);
    });

  it('shows every number exactly as results.json has it', async () => {
    let checked = 0;
    const seen = new Set<string>();
    for (const [, path] of PAGES) {
      const { page } = await open(path);
      const nums = await page.$$eval('data[data-path]', (els) => els.map((e) => ({
        config: e.getAttribute('data-config'), path: e.getAttribute('data-path')!, value: e.getAttribute('value')!,
        text: e.textContent!.trim(),
      })));
      for (const n of nums) {
        expect(n.config).toBe('smoke');
        seen.add(`${path} ${n.path}`);
        const truth = lookup(results, n.path);
        if (truth === null) { // an undefined statistic is shown as such
          expect([n.value, n.text]).toEqual(['', 'undefined']);
          checked++;
          continue;
        }
        expect(typeof truth, `${path}: ${n.path} is not a number in results.json`).toBe('number');
        expect(Number(n.value), `${path}: ${n.path}`).toBe(truth);
        expect(Math.abs(shownValue(n.text) - (truth as number)), `${path}: ${n.path} shown as '${n.text}'`)
          .toBeLessThanOrEqual(halfUnit(n.text) * (1 + 1e-9));
        checked++;
      }
      if (path === '/smoke/copy/') {
        // The heatmap writes each cell's PWMCC in its cell.
        const cells = await page.$$eval('svg[aria-label^="PWMCC matrix"] g[aria-label="text"] text',
          (t) => t.map((e) => e.textContent));
        expect(cells).toEqual(results.tasks[0]!.pwmcc.matrix.flat().map((v) => v.toFixed(4)));
      }
      await page.close();
    }
    expect(checked).toBeGreaterThan(100);
    // The activations' spectrum and the SAEs' k are shown, and checked, on the task pages and in the findings.
    const spectrum = (t: number, key: string) =>
      JSON.stringify(['tasks', t, 'activations', 'spectrum', 'componentsFor', key]);
    for (const [t, page] of [[0, '/smoke/copy/'], [1, '/smoke/modular/'], [2, '/smoke/synthetic/']] as const) {
      for (const key of ['0.9', '0.99', '0.999']) {
        expect(seen, `${page} ${spectrum(t, key)}`).toContain(`${page} ${spectrum(t, key)}`);
      }
      const ratio = JSON.stringify(['tasks', t, 'activations', 'spectrum', 'participationRatio']);
      expect(seen).toContain(`${page} ${ratio}`);
      for (const shown of ['/', '/findings/']) {
        expect(seen, `${shown} ${spectrum(t, '0.99')}`).toContain(`${shown} ${spectrum(t, '0.99')}`);
        expect(seen).toContain(`${shown} ${JSON.stringify(['tasks', t, 'saes', 0, 'k'])}`);
      }
    }
    // The synthetic task's scores against the truth, per SAE, are on its page and checked like every number.
    results.tasks[2]!.truth!.saes.forEach((_, i) => expect(seen)
      .toContain(`/smoke/synthetic/ ${JSON.stringify(['tasks', 2, 'truth', 'saes', i, 'decoder', 'recovered90'])}`));
  });

  it('explains the numbers on the findings page, from the numbers', async () => {
    const { page } = await open('/findings/');
    const ids = await page.$$eval('section[data-finding]', (s) => s.map((e) => e.getAttribute('data-finding')));
    expect(ids).toEqual(expect.arrayContaining(['smoke-copy', 'smoke-modular', 'smoke-synthetic', 'positive-control',
      'corrected']));
    const text = await page.textContent('main');
    const kSmoke = results.tasks[0]!.saes[0]!.k;
    for (const task of results.tasks) {
      const within = task.activations.spectrum.componentsFor['0.99'] <= kSmoke;
      expect(text)
        .toContain(within ? 'With k at or above the data\'s dimension' : `more than the k = ${kSmoke} latents`);
    }
    // The smoke config extends husai, which reads modular addition at the answer.
    expect(text).toContain('label leakage');
    await page.close();
  });

  it('scores each of the report\'s claims with its tolerance', async () => {
    const { page } = await open('/');
    const rows = await page.$$eval('table.scorecard tbody tr', (trs) => trs.map((tr) => ({
      claim: tr.getAttribute('data-claim'), tolerance: tr.children[2]?.textContent ?? '',
      status: tr.querySelector('td[data-status]')?.getAttribute('data-status'),
    })));
    expect(rows.map((r) => r.claim)).toEqual(['copy-val-acc', 'copy-pwmcc-mean', 'copy-pwmcc-std', 'copy-pwmcc-range',
      'copy-l0', 'copy-ev', 'copy-dead', 'modular-pwmcc-mean', 'modular-pwmcc-std', 'z', 'p', 'd', 'ci']);
    for (const r of rows) {
      expect(r.tolerance).not.toBe('');
      expect(['reproduced', 'not reproduced']).toContain(r.status);
    }
    // The smoke run's SAEs have k = 4, so the report's L0 of 32 cannot be reproduced.
    expect(rows.find((r) => r.claim === 'copy-l0')!.status).toBe('not reproduced');
    expect(await page.textContent('[data-testid=answer]')).toMatch(/PWMCC/);
    await page.close();
  });

  it('fits a phone-width screen without sideways scrolling', async () => {
    const page = await context.newPage();
    await page.setViewportSize({ width: 390, height: 844 });
    for (const [name, path] of PAGES.slice(0, 2)) {
      await page.goto(base + path);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow, `${path} is wider than a phone`).toBeLessThanOrEqual(0);
      await page.screenshot({ path: join(shots, `${name}-phone.png`), fullPage: true });
    }
    await page.close();
  });

  it('publishes results.json and the weights, but not the activations', async () => {
    const res = await fetch(`${base}/downloads/smoke/results.json`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(readFileSync(join(resultsDir, 'smoke', 'results.json'), 'utf8'));
    for (const task of results.tasks) {
      const truth = task.truth?.file;
      if (truth) expect(existsSync(join(siteDir, 'downloads', 'smoke', truth)), truth).toBe(true);
      for (const sae of task.saes) {
        for (const ext of ['.safetensors', '.cfg.json']) {
          expect(existsSync(join(siteDir, 'downloads', 'smoke', sae.file + ext)), sae.file + ext).toBe(true);
        }
      }
    }
    const all = readdirSync(siteDir, { recursive: true }).map(String);
    // (by path segment: the playground's worker bundle, playground.worker-<hash>.js, holds '.work' in its name)
    expect(all.filter((f) => f.includes('activations.safetensors') || f.split('/').includes('.work'))).toEqual([]);
    expect(all.filter((f) => f.endsWith('.mjs'))).toEqual([]);
  });

  it('trains two small SAEs in the playground (e2e/playground.test.ts checks its numbers)', async () => {
    const t0 = performance.now();
    const { page, errors } = await open('/playground/?d=16&features=32&samples=1024&seeds=0,1&k=3&dsae=64&epochs=2');
    await page.waitForSelector('#status[data-state="done"], #status[data-state="failed"]', { timeout: 60_000 });
    const status = await page.textContent('#status');
    expect(await page.getAttribute('#status', 'data-state'), status ?? '').toBe('done');
    console.log(`playground: backend ${await page.textContent('#backend')}; ${status}`);
    expect(await page.$$eval('#saes tbody tr', (rows) => rows.length)).toBe(2);
    expect(Number(await page.getAttribute('#pwmcc', 'data-value'))).toBeGreaterThan(0);
    expect(errors).toEqual([]);
    await page.close();
    timings.playground = performance.now() - t0;
  });

  it('fails the build on missing or invalid results, naming the file and the field', () => {
    const empty = join(tmp, 'empty');
    mkdirSync(empty);
    const none = buildSite(empty, join(tmp, 'out-empty'));
    expect(none.status).not.toBe(0);
    expect(none.stdout + none.stderr).toContain(`results folder ${empty} holds no <config>/results.json`);

    const bad = join(tmp, 'bad');
    cpSync(join(resultsDir, 'smoke'), join(bad, 'smoke'), { recursive: true });
    const file = join(bad, 'smoke', 'results.json');
    const broken = JSON.parse(readFileSync(file, 'utf8'));
    delete broken.tasks[0].pwmcc.mean;
    writeFileSync(file, JSON.stringify(broken));
    const invalid = buildSite(bad, join(tmp, 'out-bad'));
    expect(invalid.status).not.toBe(0);
    expect(invalid.stdout + invalid.stderr).toContain(`${file} is not a valid saelab results file`);
    expect(invalid.stdout + invalid.stderr).toContain('tasks.0.pwmcc.mean');

    // A file of an older schema names the command that upgrades it.
    const old = { ...JSON.parse(readFileSync(join(resultsDir, 'smoke', 'results.json'), 'utf8')), schemaVersion: 1 };
    writeFileSync(file, JSON.stringify(old));
    const outdated = buildSite(bad, join(tmp, 'out-old'));
    expect(outdated.status).not.toBe(0);
    expect(outdated.stdout + outdated.stderr).toContain(`${file} has schema version 1; this reader needs version 2`);
    expect(outdated.stdout + outdated.stderr).toContain('npx saelab upgrade');
  }, 180_000);
});

describe('report site from the committed full-run results', () => {
  it('builds from results/ and shows every number of every run as its results.json has it', async () => {
    const committed = join(root, 'results');
    const configs = readdirSync(committed).filter((c) => existsSync(join(committed, c, 'results.json')));
    expect(configs, `no results/<config>/results.json is committed under ${committed}`).toContain('husai');
    const read = (c: string) =>
      parseResults(JSON.parse(readFileSync(join(committed, c, 'results.json'), 'utf8')), `${c}/results.json`);
    const byConfig = new Map(configs.map((c) => [c, read(c)]));
    const out = join(tmp, 'site-committed');
    const b = buildSite(committed, out);
    expect(b.status, b.stdout + b.stderr).toBe(0);
    const committedServer = await serve(out);
    const at = `http://127.0.0.1:${(committedServer.address() as AddressInfo).port}`;
    try {
      const taskPages = configs.flatMap((c) => byConfig.get(c)!.tasks.map((t) => `/${c}/${t.name}/`));
      const pages = ['/', '/findings/', '/statistics/', '/methods/', ...configs.map((c) => `/${c}/`), ...taskPages];
      let checked = 0;
      for (const path of pages) {
        const page = await context.newPage();
        await page.goto(at + path, { waitUntil: 'load' });
        const nums = await page.$$eval('data[data-path]', (els) => els.map((e) => ({
          config: e.getAttribute('data-config')!, path: e.getAttribute('data-path')!, value: e.getAttribute('value')!,
          text: e.textContent!.trim(),
        })));
        for (const n of nums) {
          const truth = lookup(byConfig.get(n.config)!, n.path);
          if (truth === null) { expect(n.text).toBe('undefined'); checked++; continue; }
          expect(Number(n.value), `${path}: ${n.config} ${n.path}`).toBe(truth);
          const shown = `${path}: ${n.config} ${n.path} shown as '${n.text}'`;
          expect(Math.abs(shownValue(n.text) - (truth as number)), shown)
            .toBeLessThanOrEqual(halfUnit(n.text) * (1 + 1e-9));
          checked++;
        }
        const shot = `committed${path.replaceAll('/', '-').replace(/-$/, '') || '-overview'}.png`;
        await page.screenshot({ path: join(shots, shot), fullPage: true });
        await page.close();
      }
      expect(checked).toBeGreaterThan(200);

      // Each run's latent page: rows where the run has latents files, else the command that writes them.
      for (const c of configs) {
        const task = byConfig.get(c)!.tasks[0]!;
        const page = await context.newPage();
        await page.goto(`${at}/latents/${c}/${task.name}/`, { waitUntil: 'load' });
        if (existsSync(join(committed, c, task.name, `latents-seed${task.saes[0]!.seed}.json`))) {
          await page.waitForSelector(`[data-latents][data-loaded="${task.saes[0]!.seed}"]`);
          expect(await page.$$eval('#latents-view tbody tr', (trs) => trs.length), c).toBeGreaterThan(0);
        } else {
          expect(await page.textContent('[data-no-latents]'), c).toContain(`npx saelab latents results/${c}`);
        }
        await page.close();
      }

      // Every committed sweep: its page's table holds each finished cell's numbers as its results.json has them,
      // its charts are drawn, and its table downloads as the sweep wrote it.
      const sweeps = readdirSync(committed).filter((c) => existsSync(join(committed, c, 'sweep.json')));
      expect(sweeps, 'no results/<sweep>/sweep.json is committed').toContain('stability');
      for (const name of sweeps) {
        const sweep = JSON.parse(readFileSync(join(committed, name, 'sweep.json'), 'utf8')) as {
          cells: { name: string; dir: string; status: string }[];
          verdicts: { rules: { recoveredMost: number; highAgreement: number }; cells: { aboveUntrained: boolean;
            recovers: boolean | null; recoversWithoutAgreement: boolean | null;
            agreesWithoutRecovery: boolean | null }[] };
        };
        const page = await context.newPage();
        await page.goto(`${at}/sweeps/${name}/`, { waitUntil: 'load' });
        const rows = await page.$$eval('[data-testid=sweep-cells] tbody tr', (trs) => trs.map((tr) => ({
          cell: tr.getAttribute('data-cell')!, task: tr.getAttribute('data-task')!,
          pwmcc: tr.querySelector('[data-column=pwmcc]')!.textContent!.trim(),
          untrained: tr.querySelector('[data-column=untrained]')!.textContent!.trim(),
          recovered: tr.querySelector('[data-column=recovered90]')!.textContent!.trim() })));
        const done = sweep.cells.filter((c) => c.status === 'done');
        const expected = done.flatMap((c) => {
          const r = parseResults(JSON.parse(readFileSync(join(committed, name, c.dir, 'results.json'), 'utf8')),
            `${name}/${c.dir}/results.json`);
          return r.tasks.map((t) => ({ cell: c.name, task: t.name, pwmcc: t.pwmcc.mean.toFixed(4),
            untrained: t.randomBaseline.empirical.mean.toFixed(4),
            recovered: t.truth ? `${(100 * t.truth.mean.decoder.recovered90).toFixed(1)}%` : '–' }));
        });
        expect(rows, `/sweeps/${name}/: the cells table`).toEqual(expected);
        const marks = await page.$$eval('figure.chart', (figs) => figs.map((f) =>
          f.querySelectorAll('g[aria-label="dot"] circle, g[aria-label="line"] path').length));
        expect(marks.length, `/sweeps/${name}/: charts`).toBeGreaterThan(0);
        expect(marks.every((m) => m > 0), `/sweeps/${name}/: a chart without marks`).toBe(true);
        // The findings word the verdicts sweep.json holds, quoting its rules.
        const findings = (await page.textContent('[data-testid=sweep-findings]'))!;
        const { rules, cells: verdicts } = sweep.verdicts;
        const count = (f: (v: (typeof verdicts)[number]) => boolean | null) => verdicts.filter((v) => f(v)).length;
        expect(findings, `/sweeps/${name}/: findings`).toContain(`${count((v) => v.aboveUntrained)} of `
          + `${verdicts.length} cells agree above their untrained decoders`);
        const found = count((v) => v.recovers);
        if (found > 0) {
          expect(findings, `/sweeps/${name}/: recovery`).toContain(`${found} ${found === 1 ? 'cell recovers' : 'cells '
            + 'recover'} at least ${Math.round(100 * rules.recoveredMost)}% of the true features; in `
            + `${count((v) => v.recoversWithoutAgreement)} of them PWMCC is below ${rules.highAgreement}`);
        }
        const agreeing = count((v) => v.agreesWithoutRecovery);
        expect(findings.includes(`at PWMCC ${rules.highAgreement} or more yet`), `/sweeps/${name}/: agreement without `
          + 'recovery').toBe(agreeing > 0);
        if (agreeing > 0) {
          expect(findings).toContain(`${agreeing} ${agreeing === 1 ? 'cell agrees' : 'cells agree'} at PWMCC`);
        }
        await page.screenshot({ path: join(shots, `committed-sweep-${name}.png`), fullPage: true });
        await page.close();
        const csv = await fetch(`${at}/downloads/sweeps/${name}/sweep.csv`);
        expect(await csv.text()).toBe(readFileSync(join(committed, name, 'sweep.csv'), 'utf8'));
      }
    } finally {
      committedServer.close();
    }
  }, 240_000);
});
