import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { runLocalMode } from '../../../local/main';

/**
 * `npm start --keep-open` (the default on an interactive terminal): the run ends with its summary and its
 * report like any other, then says the dashboard stays up at its URL, and it does until Ctrl-C.
 */
describe('a run kept open after it is done', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'keep-open-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints the summary and writes the report first, then keeps the dashboard up until Ctrl-C', async () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (d: Buffer) => (text += d.toString()));
    const reportFile = join(dir, 'report.json');

    const held = new Promise<void>((ok) => {
      const check = setInterval(() => {
        if (!text.includes('stays up')) return;
        clearInterval(check);
        ok();
      }, 50);
    });
    const running = runLocalMode({
      scenario: 'toll',
      seed: 1,
      duration: 60,
      speed: Infinity,
      forever: false,
      reportFile,
      tumblingWindowSeconds: 1,
      dashboard: { port: 0 },
      keepOpen: true,
      out,
      stackFile: false,
    });
    await held;
    const url = /stays up at (http:\/\/127\.0\.0\.1:\d+\/?)/.exec(text)![1]!;
    const stateWhenHeld = {
      reportWritten: existsSync(reportFile),
      summaryShown: text.includes('── summary ──'),
      dashboard: (await fetch(url)).status,
    };
    process.emit('SIGINT'); // what Ctrl-C does to the handler runLocalMode installs
    const report = await running;

    expect(stateWhenHeld).toEqual({ reportWritten: true, summaryShown: true, dashboard: 200 });
    expect(text.indexOf('── summary ──')).toBeLessThan(text.indexOf('The run is done. The dashboard stays up at'));
    expect(JSON.parse(readFileSync(reportFile, 'utf8'))).toMatchObject({ produced: report.produced, scenario: 'toll' });
    await expect(fetch(url)).rejects.toThrow(); // closed after Ctrl-C
  });
});
