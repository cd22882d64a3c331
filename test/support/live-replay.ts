/**
 * Writing replayed at pen speed through the WebSocket protocol, as a person writes: each stroke's
 * points sent as their times say, the pauses between strokes kept (capped). What is measured:
 * the final reading, stroke-end → reading latency, and flicker — how often the reading of a digit
 * changes after the person finished it and moved on, while no new ink overlaps it. The same
 * writing can also be read stroke by stroke in this process (replayInProcess): no server, no clock.
 */
import type { ServerMessage } from '../../shared/protocol.js';
import type { DigitClassifier } from '../../server/recognition/classifier.js';
import { extentOf, penStroke, type Extent } from '../../server/recognition/pen/ink.js';
import { recognizeStrokes, type StrokeSet } from '../../server/recognition/strokes.js';
import { DEFAULT_CONFIG } from '../../server/config.js';
import { Client } from './protocol-client.js';

export interface WrittenSample {
  text: string;
  set: StrokeSet;
  /** For each stroke, the position in `text` of the character it belongs to. */
  charOfStroke: number[];
}

export interface LiveOutcome {
  /** The reading after the last stroke. */
  text: string;
  /** Changes to finished, untouched digits' readings. */
  changes: number;
  /** Stroke-end → first prediction that includes it, in ms. */
  latencies: number[];
}

type Prediction = Extract<ServerMessage, { type: 'prediction' }>;

const POINT_FRAME_MS = 16;
const MAX_PAUSE_MS = 400;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Quiet this long after the last stroke's reading, the canvas has had its reading after a pause, if it needed one. */
const SETTLE_MS = DEFAULT_CONFIG.pauseReadMs + 400;

function overlapArea(a: Extent, b: Extent): number {
  return Math.max(0, Math.min(a.right, b.right) - Math.max(a.left, b.left)) * Math.max(0, Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top));
}

/** The digit a prediction shows where `extent` is: the box sharing most of its area, if any shares a third. */
function readingAt(prediction: Prediction, extent: Extent): number | null {
  let best: number | null = null,
    bestArea = 0;
  const area = Math.max(1, (extent.right - extent.left) * (extent.bottom - extent.top));
  for (const line of prediction.lines)
    for (const d of line.digits) {
      const box = { left: d.box[0], top: d.box[1], right: d.box[0] + d.box[2], bottom: d.box[1] + d.box[3] };
      const shared = overlapArea(box, extent);
      if (shared > bestArea && shared >= Math.min(area, d.box[2] * d.box[3]) / 3) [best, bestArea] = [d.digit, shared];
    }
  return best;
}

/** Writes `sample` on a fresh canvas of the server at `wsUrl`, at pen speed. */
export async function replayLive(wsUrl: string, sample: WrittenSample): Promise<LiveOutcome> {
  const client = await Client.canvas(wsUrl, undefined, 0, { canvas: { width: sample.set.width, height: sample.set.height } });
  const predictions: Prediction[] = [];
  const arrived = new Map<Prediction, number>();
  client.socket.on('message', () => {
    const last = client.messages[client.messages.length - 1];
    if (last?.type === 'prediction') {
      predictions.push(last);
      arrived.set(last, performance.now());
    }
  });
  const beginSeq: number[] = [];
  const ends: { seq: number; at: number }[] = [];
  const strokes = sample.set.strokes;
  try {
    for (let s = 0; s < strokes.length; s++) {
      const points = strokes[s];
      const start = points[0][2] ?? 0;
      beginSeq.push(client.send({ type: 'stroke-begin', stroke: `s${s}`, point: [points[0][0], points[0][1], start] }));
      const began = performance.now();
      let next = 1;
      while (next < points.length) {
        await sleep(POINT_FRAME_MS);
        const due = performance.now() - began;
        const batch: number[][] = [];
        while (next < points.length && (points[next][2] ?? start) - start <= due) batch.push([points[next][0], points[next][1], points[next++][2] ?? start]);
        if (batch.length) client.send({ type: 'stroke-points', stroke: `s${s}`, points: batch });
      }
      ends.push({ seq: client.send({ type: 'stroke-end', stroke: `s${s}` }), at: performance.now() });
      const nextStart = strokes[s + 1]?.[0][2];
      const end = points[points.length - 1][2];
      await sleep(nextStart !== undefined && end !== undefined ? Math.min(MAX_PAUSE_MS, Math.max(0, nextStart - end)) : 50);
    }
    await client.predictionAfter(ends[ends.length - 1].seq);
    // The number as read once the writer rests: a reading after a pause may follow (PAUSE_READ_MS).
    for (let seen = -1; seen !== predictions.length;) {
      seen = predictions.length;
      await sleep(SETTLE_MS);
    }
    const last = predictions[predictions.length - 1];
    const latencies = ends.map(({ seq, at }) => {
      const first = predictions.find((p) => (p.ack ?? 0) >= seq);
      return first ? (arrived.get(first) ?? at) - at : NaN;
    });
    return { text: last.text, changes: flicker(sample, predictions, beginSeq), latencies: latencies.filter((l) => !Number.isNaN(l)) };
  } finally {
    client.close();
  }
}

/**
 * The same writing read in this process as a canvas session reads it, without its clock: each
 * stroke once half drawn (open) and once at its end, each reading holding the groups the one
 * before made (StrokeSet.settled), and once more as after a pause where the last reading says that
 * one would read otherwise. The same figures on every run and in a fraction of the time, for telling
 * whether a change steadies the reading; --live, with the real server and timing, is what is reported.
 */
export async function replayInProcess(sample: WrittenSample, classifier: DigitClassifier): Promise<LiveOutcome> {
  const { width, height, strokes } = sample.set;
  const predictions: Prediction[] = [];
  const beginSeq: number[] = [];
  let seq = 0,
    settled: string[][] | undefined,
    waitsForPause = false;
  const read = async (set: StrokeSet, ack: number) => {
    const result = await recognizeStrokes({ ...set, ...(settled ? { settled } : {}) }, classifier);
    settled = result.groups;
    waitsForPause = Boolean(result.waitsForPause);
    predictions.push({ type: 'prediction', seq: predictions.length + 1, ack, text: result.text, lines: result.lines, ms: 0 });
  };
  for (let s = 0; s < strokes.length; s++) {
    beginSeq.push(++seq);
    const half = strokes[s].slice(0, Math.max(1, Math.round(strokes[s].length / 2)));
    await read({ width, height, strokes: [...strokes.slice(0, s), half], open: [s], writing: true }, seq);
    await read({ width, height, strokes: strokes.slice(0, s + 1), writing: true }, ++seq);
  }
  if (waitsForPause) await read({ width, height, strokes }, seq);
  return { text: predictions[predictions.length - 1]?.text ?? '', changes: flicker(sample, predictions, beginSeq), latencies: [] };
}

/** Changes to the reading of each digit between the person moving on from it and new ink overlapping it. */
function flicker(sample: WrittenSample, predictions: Prediction[], beginSeq: number[]): number {
  let changes = 0;
  const strokeExtents = sample.set.strokes.map((points, index) => penStroke(points, index));
  [...sample.text].forEach((char, c) => {
    if (!/[0-9]/.test(char)) return;
    const own = sample.charOfStroke.flatMap((owner, s) => (owner === c ? [s] : []));
    if (own.length === 0) return;
    const extent = extentOf(own.map((s) => strokeExtents[s]));
    const lastOwn = Math.max(...own);
    const movedOn = sample.charOfStroke.findIndex((owner, s) => s > lastOwn && owner !== c);
    if (movedOn < 0) return;
    const touched = strokeExtents.findIndex((e, s) => s >= movedOn && !own.includes(s) && overlapArea(e, extent) > 0);
    const from = beginSeq[movedOn];
    const until = touched < 0 ? Infinity : beginSeq[touched];
    let shown: number | null | undefined;
    for (const p of predictions) {
      const ack = p.ack ?? 0;
      if (ack < from || ack >= until) continue;
      const reading = readingAt(p, extent);
      if (shown !== undefined && reading !== shown) changes++;
      shown = reading;
    }
  });
  return changes;
}
