/**
 * npm run soak -- [--minutes 10] [--warmup 2] [--writers 20] [--cameras 2] [--only pen|images] [--only pen|images]
 * The server under a mixed load for a long while, watching its memory: people writing on canvases
 * (and now and then dropping the connection and resuming), cameras sending frames, uploads, and a
 * trickle of abuse (bad messages, oversized messages, connections that never say hello). Its
 * resident memory is sampled every 10 s; after the warm-up, the slope of a least-squares line
 * through the samples is the growth rate. A soak test, not in CI: it takes as long as it is told.
 * Exits 1 if memory grew 0.5 MiB a minute or more, or if any reading was wrong or missing.
 */
import { readFile } from 'node:fs/promises';
import WebSocket from 'ws';
import { PROTOCOL_VERSION, encodeFrame } from '../../shared/protocol.js';
import { parseCli, positiveInteger } from '../../server/cli-args.js';
import { asCameraFrame, composeNumber, encodePng, SETS } from '../../training/compose.js';
import { loadMnist } from '../../training/mnist.js';
import { seededRandom } from '../../training/random.js';
import { Client, ellipse, one, seven } from './protocol-client.js';
import { startServerProcess } from './server-process.js';

const USAGE = 'Usage: npm run soak -- [--minutes 10] [--warmup 2] [--writers 20] [--cameras 2] [--only pen|images]';
const { values } = parseCli(
  {
    minutes: { type: 'string' },
    warmup: { type: 'string' },
    writers: { type: 'string' },
    cameras: { type: 'string' },
    only: { type: 'string' },
  },
  USAGE,
);
const minutes = positiveInteger(values.minutes, 'minutes', 10);
const warmupMinutes = positiveInteger(values.warmup, 'warmup', 2);
const writers = positiveInteger(values.writers, 'writers', 20);
const cameras = positiveInteger(values.cameras, 'cameras', 2);
const GROWTH_LIMIT_MIB_PER_MINUTE = 0.5;
const SAMPLE_EVERY_MS = 10_000;

const server = await startServerProcess({ SESSIONS_PER_ADDRESS_MAX: '1000', UPLOADS_PER_ADDRESS_MAX: '8', LOG_LEVEL: 'error' });
const wsUrl = `${server.baseUrl.replace(/^http/, 'ws')}/ws`;
const until = Date.now() + minutes * 60_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const tally = { readings: 0, wrong: 0, missing: 0, frames: 0, uploads: 0, abuses: 0, resumes: 0 };

async function residentMiB(): Promise<number> {
  return Number(/VmRSS:\s+(\d+)/.exec(await readFile(`/proc/${server.pid}/status`, 'utf8'))![1]) / 1024;
}

/** Writes "107", checks the reading, clears; every so often drops the connection and resumes. */
async function writer(index: number): Promise<void> {
  const random = seededRandom(index);
  let client = await Client.canvas(wsUrl);
  for (let round = 0; Date.now() < until; round++) {
    client.stroke(`1-${round}`, one);
    client.stroke(`0-${round}`, ellipse(200));
    const last = client.stroke(`7-${round}`, seven);
    const reading = await Promise.race([client.predictionAfter(last), sleep(20_000).then(() => null)]);
    if (!reading) tally.missing++;
    else if (reading.text !== '107') tally.wrong++;
    else tally.readings++;
    await client.predictionAfter(client.send({ type: 'clear' }));
    if (random() < 0.05) {
      // The network drops; the page resumes the canvas with its token.
      const { resumeToken } = client.ready;
      const seq = client.seq;
      client.socket.terminate();
      client = await Client.canvas(wsUrl, resumeToken, seq);
      tally.resumes++;
    }
    await sleep(500 + random() * 1500);
  }
  client.close();
}

async function camera(index: number): Promise<void> {
  const digits = await loadMnist('test');
  const frames = await Promise.all(
    Array.from({ length: 8 }, async (_, i) => (await asCameraFrame(await composeNumber(digits, seededRandom(100 * index + i), SETS.photo))).jpeg),
  );
  const socket = new WebSocket(wsUrl);
  await new Promise((resolve) => socket.once('open', resolve));
  socket.send(JSON.stringify({ type: 'hello', version: PROTOCOL_VERSION, mode: 'camera' }));
  for (let frame = 0; Date.now() < until; frame++) {
    socket.send(encodeFrame(frame, frames[frame % frames.length]));
    tally.frames++;
    await sleep(200);
  }
  socket.close();
}

async function uploader(): Promise<void> {
  const digits = await loadMnist('test');
  const images = await Promise.all(Array.from({ length: 6 }, async (_, i) => encodePng(await composeNumber(digits, seededRandom(500 + i), SETS.clean))));
  for (let n = 0; Date.now() < until; n++) {
    const body = new FormData();
    for (const i of [n % 6, (n + 1) % 6]) body.append('images', new Blob([new Uint8Array(images[i])], { type: 'image/png' }), `${i}.png`);
    await fetch(`${server.baseUrl}/api/recognize`, { method: 'POST', body }).then((r) => r.arrayBuffer());
    tally.uploads++;
    await sleep(2000);
  }
}

/** Bad messages, an oversized one, a connection that never says hello: each ends its own connection only. */
async function abuser(): Promise<void> {
  for (let n = 0; Date.now() < until; n++) {
    const socket = new WebSocket(wsUrl);
    socket.on('error', () => {});
    await new Promise((resolve) => socket.once('open', resolve));
    if (n % 3 === 0) socket.send('x'.repeat(2 * 1024 * 1024));
    else if (n % 3 === 1)
      for (let i = 0; i < 50; i++) socket.send(i % 2 ? '{not json' : JSON.stringify({ type: 'stroke-points', stroke: 'nope', points: [[1, 2, 3]] }));
    await sleep(1000);
    socket.terminate();
    tally.abuses++;
  }
}

/** The main thread's JavaScript heap and external memory from /metrics, to tell its growth from the workers'. */
async function mainThreadMiB(): Promise<string> {
  const text = await (await fetch(server.metricsUrl)).text();
  const value = (name: string) => Number(new RegExp(`^digit_stream_nodejs_${name} (\\S+)`, 'm').exec(text)?.[1] ?? Number.NaN) / 1048576;
  return `main heap ${value('heap_size_used_bytes').toFixed(1)} external ${value('external_memory_bytes').toFixed(1)} MiB`;
}

const samples: { minute: number; mib: number }[] = [];
const started = Date.now();
const sampler = setInterval(async () => {
  const sample = { minute: (Date.now() - started) / 60_000, mib: await residentMiB() };
  samples.push(sample);
  console.log(
    `${sample.minute.toFixed(1)} min  rss ${sample.mib.toFixed(1)} MiB (${await mainThreadMiB()})  readings ${tally.readings} (wrong ${tally.wrong}, missing ${tally.missing})  frames ${tally.frames}  uploads ${tally.uploads}  resumes ${tally.resumes}  abuses ${tally.abuses}`,
  );
}, SAMPLE_EVERY_MS);

// --only narrows the load, to tell which kind of work a growth comes from.
const only = values.only;
if (only !== undefined && only !== 'pen' && only !== 'images') {
  console.error(USAGE);
  process.exit(2);
}
await Promise.all([
  ...(only === 'images' ? [] : Array.from({ length: writers }, (_, i) => writer(i))),
  ...(only === 'pen' ? [] : [...Array.from({ length: cameras }, (_, i) => camera(i)), uploader()]),
  ...(only === undefined ? [abuser()] : []),
]);
clearInterval(sampler);
await server.stop();

/** Least-squares slope of memory against time, in MiB a minute. */
function slope(points: { minute: number; mib: number }[]): number {
  const n = points.length;
  const meanX = points.reduce((s, p) => s + p.minute, 0) / n;
  const meanY = points.reduce((s, p) => s + p.mib, 0) / n;
  const covariance = points.reduce((s, p) => s + (p.minute - meanX) * (p.mib - meanY), 0);
  const variance = points.reduce((s, p) => s + (p.minute - meanX) ** 2, 0);
  return covariance / variance;
}

const steady = samples.filter((s) => s.minute >= warmupMinutes);
if (steady.length < 3) {
  console.log(`too few samples after the ${warmupMinutes}-minute warm-up to measure growth: run longer`);
  process.exit(1);
}
const growth = slope(steady);
const failed = growth >= GROWTH_LIMIT_MIB_PER_MINUTE || tally.wrong > 0 || tally.missing > 0;
console.log(
  `\nafter a ${warmupMinutes}-minute warm-up: memory ${steady[0].mib.toFixed(1)} → ${steady[steady.length - 1].mib.toFixed(1)} MiB, growth ${growth.toFixed(3)} MiB/min (limit ${GROWTH_LIMIT_MIB_PER_MINUTE}); ${tally.readings} readings right, ${tally.wrong} wrong, ${tally.missing} missing`,
);
process.exit(failed ? 1 : 0);
