import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { createLocalPipeline } from '../../local/pipeline';
import { scenarioSource } from '../../local/sources';
import { startLocalRun, type LocalRun } from '../../local/run';

/**
 * The dashboard in Debian's Chromium, headless, after local runs of the toll and players demos: charts drawn,
 * the toll alert linked to its window, the warm-up shaded, the players' hotspot shown on its map. Screenshots
 * go to .stream-sentinel/test-output/dashboard/ (git-ignored) for a person to look at.
 */
const CHROMIUM = '/usr/bin/chromium';
const browserAvailable = existsSync(CHROMIUM);
if (!browserAvailable) {
  console.warn(`dashboard browser test skipped: ${CHROMIUM} is absent (apt-get install -y chromium; .ci/run installs it)`);
}
/** Where the screenshots go; under .stream-sentinel/, which git ignores. */
const OUTPUT = join(__dirname, '../../.stream-sentinel/test-output/dashboard');

type Canvas = {
  width: number;
  height: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } };
};

/** Painted pixels of each matching canvas: a blank canvas (chart.js failed to load or draw) has none. */
const paintedPixels = (page: Page, selector: string) =>
  page.$$eval(selector, (canvases) =>
    canvases.map((element) => {
      // The project's type-check has no DOM library: the little of a canvas used here, typed by hand.
      const c = element as unknown as Canvas;
      const pixels = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let painted = 0;
      for (let i = 3; i < pixels.length; i += 4) if (pixels[i]! > 0) painted++;
      return painted;
    }),
  );

(browserAvailable ? describe : describe.skip)('the local-mode dashboard in a browser', () => {
  let toll: LocalRun;
  let players: LocalRun;
  let context: BrowserContext;
  let profile: string;

  beforeAll(async () => {
    mkdirSync(OUTPUT, { recursive: true });
    // Both demos run to their end and stay up (as `npm start` on a terminal does) for the page to read.
    toll = await startLocalRun({
      pipeline: createLocalPipeline,
      source: scenarioSource({ scenario: 'toll', seed: 11 }),
      stack: { stackFile: false },
      exitWhenDone: false,
    });
    players = await startLocalRun({
      pipeline: createLocalPipeline,
      source: scenarioSource({ scenario: 'players', seed: 11 }),
      stack: { stackFile: false },
      exitWhenDone: false,
    });
    profile = mkdtempSync(join(tmpdir(), 'ss-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1500, height: 1000 },
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    for (const run of [toll, players]) {
      run?.stop();
      await run?.finished.catch(() => undefined);
    }
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  it('toll: a card per station drawn on canvas, the warm-up shaded, and the alert linked to its window', async () => {
    const page = await context.newPage();
    const offsite: string[] = [];
    page.on('request', (req) => {
      if (!req.url().startsWith('http://127.0.0.1:')) offsite.push(req.url());
    });
    await page.goto(toll.dashboardUrl!);
    await page.waitForSelector('section.detector[data-detector="toll-stations"] canvas[data-key]', { timeout: 60_000 });
    const drawn = await paintedPixels(page, 'canvas[data-key]');
    expect(drawn.length).toBeGreaterThan(1);
    for (const painted of drawn) expect(painted).toBeGreaterThan(100);

    const alert = await page.waitForSelector('#alerts li.alert a.window', { timeout: 300_000 });
    // By the alert the warm-up is over: the forest scored 0 for its first windows, and each card shades and counts them.
    const warmups = await page.$$eval('canvas[data-key]', (cs) =>
      cs.map((c) => Number((c as unknown as { dataset: Record<string, string> }).dataset.warmup)),
    );
    expect(Math.max(...warmups)).toBeGreaterThan(10);

    const target = await alert.evaluate((a) => ({ ...(a as unknown as { dataset: Record<string, string> }).dataset }));
    await alert.click();
    const card = await page.waitForSelector(`.card.highlight[data-key="${target.key}"]`, { timeout: 30_000 });
    await page.waitForFunction(
      (window) =>
        (
          globalThis as unknown as { document: { querySelector(s: string): { dataset: Record<string, string> } | null } }
        ).document.querySelector('.card.highlight')?.dataset.highlight === window,
      target.window,
      { timeout: 30_000 },
    );
    expect(await card.getAttribute('data-detector')).toBe(target.detector);
    // Anomalous keys come first in their detector.
    const firstKey = await page.$eval('section.detector[data-detector="toll-stations"] .card', (c) => c.getAttribute('data-key'));
    expect(Number(await page.$eval(`.card[data-key="${firstKey}"]`, (c) => c.getAttribute('data-anomalies')))).toBeGreaterThan(0);
    // The alerted key's card gives its latest window's anomaly grade (windows are graded as they are scored), and
    // each scored feature's latest value, with its usual value once the key has one.
    const latest = await card.$$eval('.latest span', (spans) => spans.map((e) => e.textContent ?? ''));
    expect(latest[0]).toMatch(/^grade \d+(\.\d+)?$/);
    expect(latest.slice(1).filter((t) => !t.startsWith('suppressed: '))).not.toHaveLength(0);
    for (const t of latest.slice(1)) expect(t).toMatch(/^(suppressed: .+|\S+ -?[\d.e+-]+(, usually about -?[\d.e+-]+)?)$/);
    expect(Number(await card.getAttribute('data-grade'))).toBeGreaterThanOrEqual(0);
    // Critical and warning alerts look different (class and colour by severity).
    expect(await page.$eval('#alerts li.alert', (li) => li.getAttribute('data-severity'))).toMatch(/^(critical|warning|info)$/);
    await page.screenshot({ path: join(OUTPUT, 'toll-alert-linked.png'), fullPage: true });
    await page.evaluate(() => (globalThis as unknown as { scrollTo(x: number, y: number): void }).scrollTo(0, 0));
    await page.screenshot({ path: join(OUTPUT, 'toll-dashboard.png') });
    expect(existsSync(join(OUTPUT, 'toll-alert-linked.png'))).toBe(true);

    // The key filter hides the other stations.
    await page.fill('#filter', String(target.key));
    const visible = await page.$$eval('section.detector[data-detector="toll-stations"] .card', (cs) =>
      cs.filter((c) => !(c as unknown as { hidden: boolean }).hidden).map((c) => c.getAttribute('data-key')),
    );
    expect(visible).toEqual([target.key]);
    expect(offsite).toEqual([]);
  }, 420_000);

  it('players: the hotspots view draws the gathering as a box on a latitude/longitude map', async () => {
    const page = await context.newPage();
    await page.goto(players.dashboardUrl!);
    const map = await page.waitForSelector('canvas.hotspot-map[data-hotspots]:not([data-hotspots="0"])', { timeout: 240_000 });
    expect(Number(await map.getAttribute('data-hotspots'))).toBeGreaterThanOrEqual(1);
    // The points the hotspot was found in are drawn around its box.
    await page.waitForSelector('canvas.hotspot-map[data-points]:not([data-points="0"])', { timeout: 60_000 });
    expect(Number(await map.getAttribute('data-points'))).toBeGreaterThan(100);
    const [painted] = await paintedPixels(page, 'canvas.hotspot-map');
    expect(painted).toBeGreaterThan(100);
    await page.screenshot({ path: join(OUTPUT, 'players-hotspots.png'), fullPage: true });
    expect(existsSync(join(OUTPUT, 'players-hotspots.png'))).toBe(true);
  }, 300_000);
});
