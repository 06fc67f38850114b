import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { createLocalPipeline } from '../../local/pipeline';
import { scenarioSource } from '../../local/sources';
import { startLocalRun, type LocalRun } from '../../local/run';

/** The dashboard in Debian's Chromium, headless, during a local run: charts drawn and an alert shown. */
const CHROMIUM = '/usr/bin/chromium';
const browserAvailable = existsSync(CHROMIUM);
if (!browserAvailable) {
  console.warn(`dashboard browser test skipped: ${CHROMIUM} is absent (apt-get install -y chromium; .ci/run installs it)`);
}

(browserAvailable ? describe : describe.skip)('the local-mode dashboard in a browser', () => {
  let run: LocalRun;
  let context: BrowserContext;
  let profile: string;

  beforeAll(async () => {
    run = await startLocalRun({
      pipeline: createLocalPipeline,
      source: scenarioSource({ scenario: 'toll', seed: 11 }),
      stack: { stackFile: false },
      exitWhenDone: false,
    });
    profile = mkdtempSync(join(tmpdir(), 'ss-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
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
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    run?.stop();
    await run?.finished.catch(() => undefined);
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  it('shows a chart per station, drawn on canvas, and the alert when it is sent', async () => {
    const page = await context.newPage();
    const offsite: string[] = [];
    page.on('request', (req) => {
      if (!req.url().startsWith('http://127.0.0.1:')) offsite.push(req.url());
    });
    await page.goto(run.dashboardUrl!);
    await page.waitForSelector('canvas[data-key]', { timeout: 60_000 });
    // A drawn canvas has non-transparent pixels; a blank one (chart.js failed to load or draw) has none.
    const drawn = await page.$$eval('canvas[data-key]', (canvases) =>
      canvases.map((element) => {
        // The project's type-check has no DOM library: the little of a canvas used here, typed by hand.
        const c = element as unknown as {
          width: number;
          height: number;
          getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } };
        };
        const pixels = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let painted = 0;
        for (let i = 3; i < pixels.length; i += 4) if (pixels[i]! > 0) painted++;
        return painted;
      }),
    );
    expect(drawn.length).toBeGreaterThan(1);
    for (const painted of drawn) expect(painted).toBeGreaterThan(100);
    const alert = await page.waitForSelector('#alerts li.alert', { timeout: 90_000 });
    expect(await alert.textContent()).toMatch(/score/i);
    expect(offsite).toEqual([]);
  }, 150_000);
});
