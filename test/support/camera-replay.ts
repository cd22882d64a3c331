/**
 * npm run measure:camera -- [--cards N] [--seconds S] [--set photo-edge,...] [--digits test|validation] [--seed N]
 * A webcam replay in real Chromium: a Y4M video of handwritten cards (held-out photo-set frames,
 * each held for S seconds, shaking a pixel or two and grainy like a camera) played by Chromium's
 * fake camera into the page, served by the real server in this process. What the page shows is
 * sampled every 50 ms against the video's own clock (the <video> element's currentTime), and per
 * card it reports the time from the card appearing to the right number shown, the share of the
 * card's time the right number is shown, the other numbers shown, and the page's freezes (no new
 * reading for over 500 ms). A measurement: it reports, it asserts nothing.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import sharp from 'sharp';
import { build } from 'vite';
import { parseCli, positiveInteger } from '../../server/cli-args.js';
import { RecognitionPool } from '../../server/recognition/pool.js';
import { loadMnist, splitTrainValidation } from '../../training/mnist.js';
import { gaussian, seededRandom } from '../../training/random.js';
import { FRAME_HEIGHT, FRAME_WIDTH, PHOTO_SETS, photoSample } from './photo-sets.js';
import { startTestServer } from './test-server.js';
import { y4mVideo } from './y4m.js';

const USAGE = `Usage: npm run measure:camera -- [--cards N] [--seconds S] [--set NAMES] [--digits test|validation] [--seed N]
  --cards     cards in the video (default 12)
  --seconds   seconds each card is held (default 2)
  --set       photo sets the cards come from, comma-separated, from: ${Object.keys(PHOTO_SETS)
    .filter((s) => s !== 'photo-blank')
    .join(', ')} (default photo-edge,photo-ruled)`;

const { values } = parseCli(
  {
    cards: { type: 'string' },
    seconds: { type: 'string' },
    set: { type: 'string' },
    digits: { type: 'string' },
    seed: { type: 'string' },
  },
  USAGE,
);
const cards = positiveInteger(values.cards, 'cards', 12);
const seconds = positiveInteger(values.seconds, 'seconds', 2);
const seed = positiveInteger(values.seed, 'seed', 2026);
const sets = (values.set ?? 'photo-edge,photo-ruled').split(',');
for (const set of sets) {
  if (!PHOTO_SETS[set] || PHOTO_SETS[set].blank) {
    console.error(`unknown set "${set}"\n\n${USAGE}`);
    process.exit(2);
  }
}
const FPS = 10;
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const digits = values.digits === 'validation' ? splitTrainValidation(await loadMnist('train'), 6000, 1).validation : await loadMnist('test');
const random = seededRandom(seed);
const truths: string[] = [];
const lumas: Buffer[] = [];
for (let i = 0; i < cards; i++) {
  const photo = await photoSample(PHOTO_SETS[sets[i % sets.length]], digits, random);
  truths.push(photo.text);
  lumas.push(await sharp(photo.jpeg).grayscale().raw().toBuffer());
}

/** One camera picture of a card: moved by (dx, dy) pixels, with sensor grain. */
function picture(luma: Buffer): Buffer {
  const dx = Math.round(gaussian(random)),
    dy = Math.round(gaussian(random));
  const out = Buffer.alloc(luma.length);
  for (let y = 0; y < FRAME_HEIGHT; y++) {
    const sy = Math.min(FRAME_HEIGHT - 1, Math.max(0, y + dy));
    for (let x = 0; x < FRAME_WIDTH; x++) {
      const sx = Math.min(FRAME_WIDTH - 1, Math.max(0, x + dx));
      out[y * FRAME_WIDTH + x] = Math.min(255, Math.max(0, Math.round(luma[sy * FRAME_WIDTH + sx] + 2 * gaussian(random))));
    }
  }
  return out;
}

const scratch = await mkdtemp(join(tmpdir(), 'camera-replay-'));
const video = join(scratch, 'cards.y4m');
const pictures: Buffer[] = [];
for (const luma of lumas) for (let f = 0; f < seconds * FPS; f++) pictures.push(picture(luma));
await writeFile(video, y4mVideo(pictures, FRAME_WIDTH, FRAME_HEIGHT, FPS));

const clientDir = join(scratch, 'client');
await mkdir(clientDir);
await build({ configFile: 'vite.config.ts', logLevel: 'silent', build: { outDir: clientDir, emptyOutDir: true } });
const pool = await RecognitionPool.start({ threads: 2, maxQueue: 32 });
const server = await startTestServer(pool, { clientDir });
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: ['--no-sandbox', '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', `--use-file-for-fake-video-capture=${video}`],
});

interface Sample {
  /** Seconds of video played. */
  time: number;
  shown: string;
  /** The sequence number of the latest reading the page has. */
  seq: number;
}

let samples: Sample[];
try {
  const page = await browser.newPage({ viewport: { width: 1024, height: 900 } });
  await page.goto(server.base);
  await page.getByRole('button', { name: 'Camera' }).click();
  const duration = cards * seconds;
  // Sampled in the page, so that the clock is the video's own. A string, not a function: the
  // TypeScript loader would wrap a function's inner functions in helpers the page does not have.
  samples = (await page.evaluate(`(async () => {
    const app = document.querySelector('digit-stream-app');
    const videoOf = () => app.shadowRoot?.querySelector('camera-view')?.shadowRoot?.querySelector('video') ?? null;
    const out = [];
    while (!videoOf() || videoOf().currentTime === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    const video = videoOf();
    while (video.currentTime < ${duration}) {
      out.push({
        time: video.currentTime,
        shown: (app.shadowRoot.querySelector('.number')?.textContent ?? '').replace(/\\s/g, '').replace(/^Point.*$/, ''),
        seq: app.camera?.prediction?.seq ?? 0,
      });
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return out;
  })()`)) as Sample[];
} finally {
  await browser.close();
  await server.close();
  await pool.close();
  await rm(scratch, { recursive: true, force: true });
}

const rows: string[] = [];
let rightWithin500 = 0,
  wrongShown = 0;
const toRight: number[] = [];
for (let card = 0; card < cards; card++) {
  const during = samples.filter((s) => s.time >= card * seconds && s.time < (card + 1) * seconds);
  const start = card * seconds;
  const firstRight = during.find((s) => s.shown === truths[card]);
  const right = during.filter((s) => s.shown === truths[card]).length / Math.max(1, during.length);
  const others = [...new Set(during.map((s) => s.shown).filter((t) => t !== '' && t !== truths[card] && t !== truths[card - 1]))];
  const latency = firstRight ? firstRight.time - start : Infinity;
  if (latency <= 0.5) rightWithin500++;
  if (firstRight) toRight.push(latency);
  wrongShown += others.length;
  rows.push(
    `card ${String(card + 1).padStart(2)} ${truths[card].padEnd(8)} right after ${firstRight ? `${(latency * 1000).toFixed(0).padStart(5)} ms` : '   never'}` +
      `  right ${(100 * right).toFixed(0).padStart(3)} % of the card's time  other numbers shown: ${others.join(', ') || 'none'}`,
  );
}
// A freeze: the page's latest reading unchanged for over half a second of video.
let freezes = 0,
  longest = 0;
for (let i = 0, since = samples[0]?.time ?? 0; i < samples.length; i++) {
  if (i > 0 && samples[i].seq !== samples[i - 1].seq) {
    const gap = samples[i].time - since;
    if (gap > 0.5) freezes++;
    longest = Math.max(longest, gap);
    since = samples[i].time;
  }
}
console.log(rows.join('\n'));
const sorted = toRight.sort((a, b) => a - b);
console.log(
  `${cards} cards of ${seconds} s (${sets.join(', ')}, MNIST ${values.digits === 'validation' ? 'validation' : 'test'} digits): right within 500 ms ${rightWithin500}/${cards}, ` +
    `median time to right ${sorted.length ? (1000 * sorted[Math.floor(sorted.length / 2)]).toFixed(0) : '-'} ms, never right ${cards - toRight.length}, ` +
    `other numbers shown ${wrongShown}, freezes over 500 ms ${freezes} (longest ${(1000 * longest).toFixed(0)} ms), ${samples.length} samples`,
);
