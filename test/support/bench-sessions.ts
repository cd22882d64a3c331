/**
 * npm run bench:sessions -- [--sessions 1,10,100] [--seconds N] [--json]
 * Starts the server (npm start) as its own process and has N people write numbers at once at pen
 * speed (a point every 16 ms, sent in batches as the page sends them), measuring stroke-end →
 * prediction latency: the time from sending a stroke-end to receiving the first prediction that
 * includes it.
 * A benchmark: it reports, it asserts nothing.
 */
import { once } from 'node:events';
import WebSocket from 'ws';
import { parseServerMessage, PROTOCOL_VERSION, type Point } from '../../shared/protocol.js';
import { POINTS_BATCH_MS } from '../../client/src/connection-controller.js';
import { parseCli, positiveInteger } from '../../server/cli-args.js';
import { loadMnist, type DigitSet } from '../../training/mnist.js';
import { seededRandom } from '../../training/random.js';
import { startServerProcess } from './server-process.js';
import { writeNumber } from './strokes-from-mnist.js';

const USAGE = 'Usage: npm run bench:sessions -- [--sessions 1,10,100] [--seconds N] [--json]';
const { values } = parseCli({ sessions: { type: 'string' }, seconds: { type: 'string' }, json: { type: 'boolean' } }, USAGE);
const levels = (values.sessions ?? '1,10,100').split(',').map((n) => positiveInteger(n, 'sessions', 1));
const seconds = positiveInteger(values.seconds, 'seconds', 20);
const POINT_EVERY_MS = 16;

const server = await startServerProcess({ SESSIONS_MAX: '1000', SESSIONS_PER_ADDRESS_MAX: '1000' });
const wsUrl = `${server.baseUrl.replace(/^http/, 'ws')}/ws`;

const digits: DigitSet = await loadMnist('test');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Outcome {
  latencies: number[];
  errors: number;
  predictions: number;
}

/**
 * The numbers people write, made before the clock starts: drawing strokes from MNIST digits takes
 * milliseconds each, which inside the run would stall this process's event loop and add to the
 * latencies it measures.
 */
const WRITINGS = 300;
const writingRandom = seededRandom(999);
const writings = Array.from({ length: WRITINGS }, () =>
  writeNumber(digits, writingRandom, {
    length: 3 + Math.floor(writingRandom() * 6),
    width: 800,
    height: 300,
    digitHeight: 90 + writingRandom() * 60,
    pointsEveryMs: POINT_EVERY_MS,
  }),
);

/** One person: writes numbers stroke by stroke in real time until `until`. */
async function person(index: number, until: number): Promise<Outcome> {
  const random = seededRandom(1000 + index);
  const socket = new WebSocket(wsUrl);
  await once(socket, 'open');
  const outcome: Outcome = { latencies: [], errors: 0, predictions: 0 };
  const waiting = new Map<number, number>();
  socket.on('message', (data) => {
    const parsed = parseServerMessage(data.toString());
    if (!parsed.ok) throw new Error(parsed.message);
    const message = parsed.message;
    if (message.type === 'error') outcome.errors++;
    if (message.type !== 'prediction') return;
    outcome.predictions++;
    for (const [seq, sentAt] of waiting) {
      if ((message.ack ?? 0) >= seq) {
        outcome.latencies.push(performance.now() - sentAt);
        waiting.delete(seq);
      }
    }
  });
  let seq = 0;
  const send = (message: Record<string, unknown>) => {
    socket.send(JSON.stringify({ ...message, seq: ++seq }));
    return seq;
  };
  send({ type: 'hello', version: PROTOCOL_VERSION, mode: 'canvas', canvas: { width: 800, height: 300 } });
  await sleep(random() * 500);
  let strokeId = 0;
  while (performance.now() < until) {
    const written = writings[Math.floor(random() * writings.length)];
    for (const stroke of written.set.strokes) {
      const id = ++strokeId;
      send({ type: 'stroke-begin', stroke: id, point: stroke[0] });
      // The points go out together, a batch every POINTS_BATCH_MS, as the page sends them.
      let batch: Point[] = [];
      let batchStart = 0;
      for (let i = 1; i < stroke.length; i++) {
        await sleep(POINT_EVERY_MS);
        if (batch.length > 0 && performance.now() - batchStart >= POINTS_BATCH_MS) {
          send({ type: 'stroke-points', stroke: id, points: batch });
          batch = [];
        }
        if (batch.length === 0) batchStart = performance.now();
        batch.push(stroke[i]);
      }
      if (batch.length > 0) send({ type: 'stroke-points', stroke: id, points: batch });
      waiting.set(send({ type: 'stroke-end', stroke: id }), performance.now());
      await sleep(150);
      if (performance.now() >= until) break;
    }
    send({ type: 'clear' });
    await sleep(400);
  }
  await sleep(1000);
  socket.close();
  return outcome;
}

function percentile(sorted: number[], q: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : Number.NaN;
}

const report: Record<string, unknown>[] = [];
for (const sessions of levels) {
  const until = performance.now() + seconds * 1000;
  const outcomes = await Promise.all(Array.from({ length: sessions }, (_, i) => person(i, until)));
  const latencies = outcomes.flatMap((o) => o.latencies).sort((a, b) => a - b);
  const row = {
    sessions,
    strokes: latencies.length,
    p50: percentile(latencies, 0.5),
    p95: percentile(latencies, 0.95),
    p99: percentile(latencies, 0.99),
    errors: outcomes.reduce((sum, o) => sum + o.errors, 0),
    predictions: outcomes.reduce((sum, o) => sum + o.predictions, 0),
  };
  report.push(row);
  if (!values.json) {
    console.log(
      `${String(sessions).padStart(4)} sessions: stroke-end → prediction p50 ${row.p50.toFixed(1)} ms, p95 ${row.p95.toFixed(1)} ms, p99 ${row.p99.toFixed(1)} ms ` +
        `(${row.strokes} strokes, ${row.predictions} predictions, ${row.errors} errors, ${seconds} s)`,
    );
  }
}
if (values.json) console.log(JSON.stringify({ seconds, report }));
await server.stop();
