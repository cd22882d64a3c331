import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import axe from 'axe-core';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecognitionPool } from '../server/recognition/pool.js';
import { ellipse, one, seven } from './support/protocol-client.js';
import { startServerProcess, type ServerProcess } from './support/server-process.js';
import { startTestServer, type TestServer } from './support/test-server.js';
import { loadMnist } from '../training/mnist.js';
import { seededRandom } from '../training/random.js';
import { asCameraFrame, composeNumber, encodePng, SETS } from '../training/compose.js';
import { y4mVideo } from './support/y4m.js';

/** Debian's chromium, installed by .ci/run; never a browser downloaded by playwright. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = 'test/artifacts';
const BROWSER_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

let pool: RecognitionPool;
let server: TestServer;
let browser: Browser;
let base: string;

let clientDir: string;

beforeAll(async () => {
  // Built into a folder of its own: a server already running from dist/ (npm start) keeps its files.
  clientDir = await mkdtemp(join(tmpdir(), 'digit-stream-client-'));
  await build({ configFile: 'vite.config.ts', logLevel: 'silent', build: { outDir: clientDir, emptyOutDir: true } });
  pool = await RecognitionPool.start({ threads: 2, maxQueue: 32 });
  server = await startTestServer(pool, { clientDir });
  base = server.base;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: BROWSER_ARGS });
  await mkdir(ARTIFACTS, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await pool?.close();
  if (clientDir) await rm(clientDir, { recursive: true, force: true });
});

async function openPage(width: number, height: number): Promise<Page> {
  const page = await browser.newPage({ viewport: { width, height } });
  await page.goto(base);
  await page.waitForFunction(() => document.querySelector('digit-stream-app')?.shadowRoot?.querySelector('.status.open') !== null);
  return page;
}

/** What axe-core (WCAG 2.x A and AA rules, shadow DOM included) finds wrong with the page as it is. */
async function accessibilityViolations(page: Page): Promise<string[]> {
  // Evaluated, not added as a script tag: the page's Content-Security-Policy refuses inline scripts.
  await page.evaluate(axe.source);
  return page.evaluate(async () => {
    const result = await (window as unknown as { axe: typeof axe }).axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map(
      (v) =>
        `${v.id}: ${v.help} (${v.nodes
          .map((n) => JSON.stringify(n.target))
          .slice(0, 3)
          .join(', ')})`,
    );
  });
}

function numberShown(page: Page): Promise<string> {
  return page.evaluate(() => (document.querySelector('digit-stream-app')!.shadowRoot!.querySelector('.number')!.textContent ?? '').replace(/\s/g, ''));
}

/** Strokes of 1, 0 and 7 in a 300-unit-tall box, as a person would draw them. */
const STROKES: [number, number][][] = [one, ellipse(200), seven];

/** Writes one stroke with the mouse on the page's canvas, 40 and 20 px in from its corner. */
async function writeStroke(page: Page, stroke: [number, number][]): Promise<void> {
  const box = (await page.locator('draw-canvas').boundingBox())!;
  const at = ([x, y]: [number, number]): [number, number] => [box.x + 40 + x, box.y + 20 + y];
  await page.mouse.move(...at(stroke[0]));
  await page.mouse.down();
  for (const point of stroke.slice(1)) await page.mouse.move(...at(point), { steps: 4 });
  await page.mouse.up();
}

/** Waits until the page shows `text` as the number read (whitespace aside). */
async function waitForNumber(page: Page, text: string, timeout?: number): Promise<void> {
  await page.waitForFunction(
    (expected) => (document.querySelector('digit-stream-app')!.shadowRoot!.querySelector('.number')!.textContent ?? '').replace(/\s/g, '') === expected,
    text,
    timeout === undefined ? undefined : { timeout },
  );
}

describe('the web client in a real browser', () => {
  it('shows the number being written before the last pen-up', async () => {
    const page = await openPage(1440, 970);
    const box = (await page.locator('draw-canvas').boundingBox())!;
    const at = ([x, y]: [number, number]): [number, number] => [box.x + 40 + x, box.y + 20 + y];
    for (const [s, stroke] of STROKES.entries()) {
      await page.mouse.move(...at(stroke[0]));
      await page.mouse.down();
      for (const point of stroke.slice(1)) await page.mouse.move(...at(point), { steps: 4 });
      if (s === STROKES.length - 1) {
        // The pen is still down on the 7: the number must already be there.
        await waitForNumber(page, '107');
      }
      await page.mouse.up();
    }
    expect(await numberShown(page)).toBe('107');
    await page.screenshot({ path: `${ARTIFACTS}/written-107-live.png` });
    // Screen readers hear the settled number, not each reading while a digit was being written.
    await page.waitForFunction(
      () => document.querySelector('digit-stream-app')!.shadowRoot!.querySelector('[aria-live]')!.textContent === 'Number read: 1 0 7',
    );
    expect(await page.locator('digit-stream-app .number[aria-live]').count()).toBe(0);
    // Picking another digit for the 0 corrects the number kept.
    await page.locator('digit-stream-app .number button.digit').nth(1).click();
    await page.locator('digit-stream-app .alternatives button', { hasText: /^9/ }).first().click();
    expect(await numberShown(page)).toBe('197');
    expect(await accessibilityViolations(page)).toEqual([]);
    await page.getByRole('button', { name: 'Keep this number' }).click();
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Download CSV' }).click();
    const csv = await (await download).createReadStream().then(async (stream) => {
      const chunks: Buffer[] = [];
      for await (const chunk of stream) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString();
    });
    expect(csv.split('\n')[0]).toBe('time,source,number,confidence,corrected,file');
    expect(csv.split('\n')[1]).toMatch(/^\d{4}-.*,draw,197,0\.\d{4},yes,$/);
    await page.screenshot({ path: `${ARTIFACTS}/written-107.png` });
    // Clear, then undo: the writing comes back with its correction.
    await page.getByRole('button', { name: 'Clear', exact: true }).click();
    await page.waitForFunction(() => document.querySelector('digit-stream-app')!.shadowRoot!.querySelector('.number .placeholder') !== null);
    await page.keyboard.press('Control+z');
    await waitForNumber(page, '197');
    // Scribbling over the 0 erases it.
    await page.mouse.move(...at([150, 120]));
    await page.mouse.down();
    for (let i = 1; i <= 12; i++) await page.mouse.move(...at([i % 2 === 0 ? 150 : 250, 120 + i * 6]), { steps: 3 });
    await page.mouse.up();
    await waitForNumber(page, '17');
    // Undo brings the same ink back, and with it the correction made to it, but not the scribble:
    // the undo after that takes back the 7, the last thing written.
    await page.keyboard.press('Control+z');
    await waitForNumber(page, '197');
    await page.getByRole('button', { name: 'Undo' }).click();
    await waitForNumber(page, '19');
    await page.getByRole('button', { name: 'Clear', exact: true }).click();
    await page.waitForFunction(() => document.querySelector('digit-stream-app')!.shadowRoot!.querySelector('.number .placeholder') !== null);
    await page.close();
  });

  it('keeps writing through a dropped connection and reads it all once reconnected', async () => {
    const page = await openPage(1440, 970);
    await writeStroke(page, STROKES[0]);
    await writeStroke(page, STROKES[1]);
    await waitForNumber(page, '10');
    server.dropConnections();
    await page.waitForFunction(() => document.querySelector('digit-stream-app')!.shadowRoot!.querySelector('.status.reconnecting') !== null);
    // Written while the server is away: kept, replayed and read after the reconnect.
    await writeStroke(page, STROKES[2]);
    await waitForNumber(page, '107');
    await page.waitForFunction(() => document.querySelector('digit-stream-app')!.shadowRoot!.querySelector('.status.open') !== null);
    await page.close();
  });

  it('never moves the canvas while writing: not when the reading gains a line, nor when the digit picker opens', async () => {
    const page = await openPage(1440, 900);
    const canvasTop = async () => (await page.locator('draw-canvas').boundingBox())!.y;
    const top = await canvasTop();
    const box = (await page.locator('draw-canvas').boundingBox())!;
    const tops: number[] = [];
    // "10" small on a first line, then "7" on a second line below it, checking the canvas after every move.
    const write = async (stroke: [number, number][], dx: number, dy: number) => {
      const at = ([x, y]: [number, number]): [number, number] => [box.x + 40 + dx + x * 0.45, box.y + 10 + dy + y * 0.45];
      await page.mouse.move(...at(stroke[0]));
      await page.mouse.down();
      for (const point of stroke.slice(1)) {
        await page.mouse.move(...at(point), { steps: 2 });
        tops.push(await canvasTop());
      }
      await page.mouse.up();
    };
    await write(STROKES[0], 0, 0);
    await write(STROKES[1], 0, 0);
    await write(STROKES[2], 0, 160);
    await page.waitForFunction(() => document.querySelector('digit-stream-app')!.shadowRoot!.querySelectorAll('.number .line').length === 2);
    tops.push(await canvasTop());
    await page.locator('digit-stream-app .number button.digit').first().click();
    await page.waitForFunction(() => document.querySelector('digit-stream-app')!.shadowRoot!.querySelector('.alternatives') !== null);
    tops.push(await canvasTop());
    await page.screenshot({ path: `${ARTIFACTS}/two-lines-picker-1440x900.png` });
    await page.keyboard.press('Escape');
    await page.waitForFunction(() => document.querySelector('digit-stream-app')!.shadowRoot!.querySelector('.alternatives') === null);
    expect(new Set(tops)).toEqual(new Set([top]));
    await page.close();
  });

  it('resumes the canvas after the server is killed (kill -9) and started again, with what was written meanwhile', async () => {
    const first = await startServerProcess({ CLIENT_DIR: clientDir });
    const port = Number(new URL(first.baseUrl).port);
    let second: ServerProcess | undefined;
    const page = await browser.newPage({ viewport: { width: 1024, height: 800 } });
    try {
      await page.goto(first.baseUrl);
      await page.waitForFunction(() => document.querySelector('digit-stream-app')?.shadowRoot?.querySelector('.status.open') !== null);
      await writeStroke(page, STROKES[0]);
      await writeStroke(page, STROKES[1]);
      await waitForNumber(page, '10');
      await new Promise((resolve) => setTimeout(resolve, 1000));
      await first.kill();
      await page.waitForFunction(() => document.querySelector('digit-stream-app')!.shadowRoot!.querySelector('.status.reconnecting') !== null);
      await writeStroke(page, STROKES[2]);
      second = await startServerProcess({ CLIENT_DIR: clientDir, CANVAS_STORE: first.canvasStore }, { port });
      await waitForNumber(page, '107', 60_000);
      await page.waitForFunction(() => document.querySelector('digit-stream-app')!.shadowRoot!.querySelector('.status')!.textContent === 'Live');
      // The new process resumed the canvas it found saved, rather than starting a fresh one.
      expect(await (await fetch(second.metricsUrl)).text()).toMatch(/^digit_stream_resumes_total\{from="store"\} 1$/m);
    } finally {
      await page.close();
      await first.stop();
      await second?.stop();
    }
  });

  it('keeps the canvas and the results list through a reload, the list until it is cleared', async () => {
    const page = await openPage(1024, 800);
    for (const stroke of STROKES) await writeStroke(page, stroke);
    await waitForNumber(page, '107');
    await page.getByRole('button', { name: 'Keep this number' }).click();
    // Keeping the same number again adds no duplicate row.
    await page.getByRole('button', { name: 'Keep this number' }).click();
    await page.reload();
    // The canvas comes back too, and is read again.
    await waitForNumber(page, '107');
    const rows = () => page.locator('results-list td.number').allTextContents();
    await page.waitForFunction(
      () => document.querySelector('digit-stream-app')?.shadowRoot?.querySelector('results-list')?.shadowRoot?.querySelector('td.number') != null,
    );
    expect(await rows()).toEqual(['107']);
    await page.getByRole('button', { name: 'Remove 107' }).click();
    expect(await rows()).toEqual([]);
    await page.reload();
    await page.waitForFunction(() => document.querySelector('digit-stream-app')?.shadowRoot?.querySelector('.status.open') !== null);
    expect(await rows()).toEqual([]);
    await page.close();
  });

  it('catches up with writing done while the server was stopped, after it restarts with nothing, within its message rate', async () => {
    // A server that reads 60 messages a second: the writing below is several times that many.
    const slow = await startTestServer(pool, { clientDir, messagesPerSecond: 60 });
    const page = await browser.newPage({ viewport: { width: 1024, height: 800 } });
    try {
      await page.goto(slow.base);
      await page.waitForFunction(() => document.querySelector('digit-stream-app')?.shadowRoot?.querySelector('.status.open') !== null);
      await writeStroke(page, STROKES[0]);
      await writeStroke(page, STROKES[1]);
      await waitForNumber(page, '10');
      await slow.stop();
      await page.waitForFunction(() => document.querySelector('digit-stream-app')!.shadowRoot!.querySelector('.status.reconnecting') !== null);
      await writeStroke(page, STROKES[2]);
      // Back with no canvas at all: the page sends its whole log again, paced under the rate limit.
      await slow.start();
      await waitForNumber(page, '107', 60_000);
      await page.waitForFunction(() => document.querySelector('digit-stream-app')!.shadowRoot!.querySelector('.status')!.textContent === 'Live');
      expect(await page.evaluate(() => document.querySelector('digit-stream-app')!.shadowRoot!.querySelector('[role=alert]')?.textContent ?? '')).toBe('');
    } finally {
      await page.close();
      await slow.close();
    }
  });

  it('uploads several images and a non-image, and shows each reading or a clear message', async () => {
    const digits = await loadMnist('test');
    const images = await Promise.all([51, 52].map((seed) => composeNumber(digits, seededRandom(seed), SETS.clean)));
    const pngs = await Promise.all(images.map(encodePng));
    const expected = await Promise.all(pngs.map((png) => pool.recognizeImage(Uint8Array.from(png)).then((r) => r.result.text)));
    const page = await openPage(1024, 800);
    await page.getByRole('button', { name: 'Upload' }).click();
    await page.locator('image-upload input[type=file]').setInputFiles([
      { name: 'first.png', mimeType: 'image/png', buffer: pngs[0] },
      { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('shopping list') },
      { name: 'second.png', mimeType: 'image/png', buffer: pngs[1] },
    ]);
    await page.waitForFunction(
      () =>
        document.querySelector('digit-stream-app')!.shadowRoot!.querySelector('image-upload')!.shadowRoot!.querySelectorAll('li .text, li .failed').length ===
          3 &&
        ![...document.querySelector('digit-stream-app')!.shadowRoot!.querySelector('image-upload')!.shadowRoot!.querySelectorAll('li .text')].some(
          (e) => e.textContent === '…',
        ),
    );
    const shown = await page.evaluate(() =>
      [...document.querySelector('digit-stream-app')!.shadowRoot!.querySelector('image-upload')!.shadowRoot!.querySelectorAll('li')].map((li) => ({
        name: li.querySelector('.name')!.textContent,
        text: li.querySelector('.text')?.textContent ?? null,
        error: li.querySelector('.failed')?.textContent ?? null,
        // One row per digit read: its digit, how sure, the runners-up.
        digitRows: li.querySelectorAll('table.digits tbody tr').length,
      })),
    );
    expect(shown).toEqual([
      { name: 'first.png', text: expected[0], error: null, digitRows: expected[0].length },
      { name: 'notes.txt', text: null, error: 'not an image in a supported format (PNG, JPEG, WebP, GIF, TIFF, AVIF, BMP)', digitRows: 0 },
      { name: 'second.png', text: expected[1], error: null, digitRows: expected[1].length },
    ]);
    await page.screenshot({ path: `${ARTIFACTS}/uploads.png`, fullPage: true });
    expect(await accessibilityViolations(page)).toEqual([]);
    // Picking another digit for the first file's first digit corrects the number shown and the one kept.
    const other = expected[0][0] === '3' ? '8' : '3';
    await page.getByLabel('Digit 1 of first.png').selectOption(other);
    const corrected = other + expected[0].slice(1);
    await page.waitForFunction(
      (text) =>
        document.querySelector('digit-stream-app')!.shadowRoot!.querySelector('image-upload')!.shadowRoot!.querySelector('li .text')!.textContent === text,
      corrected,
    );
    expect(await page.locator('results-list td.number').allTextContents()).toContain(`${corrected} (corrected)`);
    await page.close();
  });

  it('says plainly when there is no camera or it is not allowed, offers to try again, and offers no Freeze', async () => {
    // This browser has no camera and grants none: the page must say so, not show a black stage.
    const page = await openPage(1024, 800);
    await page.getByRole('button', { name: 'Camera' }).click();
    const problem = page.locator('camera-view [role=alert]');
    await problem.waitFor();
    expect(await problem.textContent()).toMatch(/camera/i);
    expect(await page.locator('camera-view video').count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Try again' }).isVisible()).toBe(true);
    expect(await page.getByRole('button', { name: 'Freeze' }).isDisabled()).toBe(true);
    expect(await page.locator('digit-stream-app .status').textContent()).toBe('No camera');
    expect(await accessibilityViolations(page)).toEqual([]);
    await page.close();
  });

  it('reads a number a (fake) webcam films on paper, and holds it steady', async () => {
    const image = await composeNumber(await loadMnist('test'), seededRandom(61), { ...SETS.photo, length: [3, 5] });
    const { gray: frame, jpeg } = await asCameraFrame(image);
    expect(frame.length).toBe(640 * 480);
    const expected = (await pool.recognizeImage(Uint8Array.from(jpeg))).result.text;
    const video = join(ARTIFACTS, 'camera.y4m');
    // Ten seconds of the one picture, at ten frames a second.
    await writeFile(video, y4mVideo(new Array<Buffer>(100).fill(frame), 640, 480, 10));
    // Chromium's fake camera plays the file into getUserMedia.
    const camera = await chromium.launch({
      executablePath: CHROMIUM,
      args: [...BROWSER_ARGS, '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', `--use-file-for-fake-video-capture=${video}`],
    });
    try {
      const page = await camera.newPage({ viewport: { width: 1024, height: 900 } });
      await page.goto(base);
      await page.getByRole('button', { name: 'Camera' }).click();
      await page.waitForFunction(
        (text) => (document.querySelector('digit-stream-app')!.shadowRoot!.querySelector('.number')!.textContent ?? '').replace(/\s/g, '') === text,
        expected,
      );
      await page.screenshot({ path: `${ARTIFACTS}/camera.png` });
      expect(await accessibilityViolations(page)).toEqual([]);
      expect(expected).toMatch(/^\d+$/);
    } finally {
      await camera.close();
    }
  });

  it('takes a frame dropped for the rate as "slower": no error shown, and the camera goes on being read', async () => {
    const image = await composeNumber(await loadMnist('test'), seededRandom(62), { ...SETS.photo, length: [3, 4] });
    const { gray: frame } = await asCameraFrame(image);
    const video = join(ARTIFACTS, 'camera-rate.y4m');
    // Ten seconds of the one picture, at ten frames a second.
    await writeFile(video, y4mVideo(new Array<Buffer>(100).fill(frame), 640, 480, 10));
    // A server that takes one frame a second: most frames the page sends are refused as rate-limited.
    const slow = await startTestServer(pool, { clientDir, cameraFpsMax: 1 });
    const camera = await chromium.launch({
      executablePath: CHROMIUM,
      args: [...BROWSER_ARGS, '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', `--use-file-for-fake-video-capture=${video}`],
    });
    try {
      const page = await camera.newPage({ viewport: { width: 1024, height: 900 } });
      await page.goto(slow.base);
      await page.getByRole('button', { name: 'Camera' }).click();
      const dropped = async () => (await slow.metrics.registry.getSingleMetric('digit_stream_dropped_frames_total')!.get()).values[0]?.value ?? 0;
      const read = async () =>
        (await slow.metrics.registry.getSingleMetric('digit_stream_predictions_total')!.get()).values.reduce((sum, v) => sum + v.value, 0);
      while ((await dropped()) < 3) await page.waitForTimeout(100);
      const readBefore = await read();
      // Refused frames are answered with the next one, so reading goes on (the page never waits on an answer that will not come).
      while ((await read()) < readBefore + 2) await page.waitForTimeout(100);
      expect(await page.locator('digit-stream-app [role=alert]').count()).toBe(0);
    } finally {
      await camera.close();
      await slow.close();
    }
  });

  it.each([
    [320, 640],
    [390, 844],
    [768, 630],
    [768, 1024],
    [1366, 768],
    [1440, 900],
    [1920, 1080],
    [2560, 1801],
  ])('fits a %ix%i screen without overflowing, its controls in view', async (width, height) => {
    const page = await openPage(width, height);
    const overflow = await page.evaluate(() => ({
      page: document.documentElement.scrollWidth - window.innerWidth,
      app: (() => {
        const root = document.querySelector('digit-stream-app')!.shadowRoot!;
        return [...root.querySelectorAll('*')]
          .map((e) => (e as HTMLElement).getBoundingClientRect())
          .filter((r) => r.right > window.innerWidth + 0.5 || r.left < -0.5).length;
      })(),
    }));
    await page.screenshot({ path: `${ARTIFACTS}/viewport-${width}x${height}.png`, fullPage: true });
    expect(overflow).toEqual({ page: 0, app: 0 });
    const canvas = (await page.locator('draw-canvas').boundingBox())!;
    expect(canvas.width).toBeGreaterThan(width * 0.8 > 1200 ? 1000 : width * 0.8);
    expect(canvas.height).toBeGreaterThanOrEqual(200);
    // Every drawing tool is on the first screen, without scrolling.
    const tools = await page.locator('digit-stream-app .tools button').evaluateAll((buttons) => buttons.map((b) => b.getBoundingClientRect().bottom));
    expect(tools.length).toBeGreaterThan(5);
    expect(Math.max(...tools)).toBeLessThanOrEqual(height);
    expect(await accessibilityViolations(page)).toEqual([]);
    // The other modes' controls are on the first screen too (this browser has no camera: its message and Try again).
    for (const [mode, control] of [
      ['Upload', 'Choose images…'],
      ['Camera', 'Try again'],
    ] as const) {
      await page.getByRole('button', { name: mode, exact: true }).click();
      const box = await page.getByText(control).boundingBox();
      expect(box).not.toBeNull();
      expect(box!.y + box!.height).toBeLessThanOrEqual(height);
      expect(box!.x + box!.width).toBeLessThanOrEqual(width);
    }
    await page.close();
  });
});
