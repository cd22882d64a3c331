// k6 load test for Digit Stream. Run it through `npm run loadtest -- [scenario]`, which builds k6,
// generates the data (loadtest/generate-data.ts) and starts the server.
//
// Scenarios (SCENARIO=…): smoke (all four briefly; CI), canvas, camera, upload, idle.
// Sizes: VUS (sessions or uploaders), DURATION (e.g. 60s), RATE (uploads per second), HOLD (idle seconds).
import http from 'k6/http';
import { check, fail } from 'k6';
import { Counter, Rate, Trend } from 'k6/metrics';
import { setTimeout, clearTimeout, setInterval, clearInterval } from 'k6/timers';
import { WebSocket } from 'k6/websockets';

const BASE_URL = __ENV.BASE_URL || 'http://127.0.0.1:8080';
const WS_URL = `${BASE_URL.replace(/^http/, 'ws')}/ws`;
const SCENARIO = __ENV.SCENARIO || 'smoke';
const VUS = Number(__ENV.VUS || 10);
const DURATION = __ENV.DURATION || '60s';
const RATE = Number(__ENV.RATE || 5);
const HOLD_SECONDS = Number(__ENV.HOLD || 30);
const CAMERA_SECONDS = Number(__ENV.CAMERA_SECONDS || 10);
const FRAME_EVERY_MS = 100; // 10 frames a second
// A moving pen's points go out together, a batch every 40 ms, as the page sends them
// (POINTS_BATCH_MS in client/src/connection-controller.ts); a stroke's end sends what waits.
const POINTS_BATCH_MS = 40;

// Every VU holds its own copy of what it opens: load only what the scenario uses, so that thousands
// of idle sessions do not each carry the images.
const uses = (exec) => SCENARIO === 'smoke' || SCENARIO === exec;
const numbers = uses('canvas') ? JSON.parse(open('./data/numbers.json')) : [];
const frames = uses('camera') ? JSON.parse(open('./data/frames.json')).map((f) => ({ text: f.text, bytes: open(`./data/${f.file}`, 'b') })) : [];
const uploads = uses('upload')
  ? JSON.parse(open('./data/uploads.json')).map((u) => ({ text: u.text, name: u.file.split('/').pop(), bytes: open(`./data/${u.file}`, 'b') }))
  : [];

const strokeEndToPrediction = new Trend('stroke_end_to_prediction', true);
const frameToPrediction = new Trend('frame_to_prediction', true);
const correctReadings = new Rate('correct_readings');
const protocolErrors = new Counter('protocol_errors');
const droppedFrames = new Counter('dropped_frames');
const idleHeld = new Counter('idle_sessions_held');

const SCENARIOS = {
  smoke: {
    canvas_smoke: { executor: 'per-vu-iterations', exec: 'canvas', vus: 2, iterations: 3, maxDuration: '60s' },
    camera_smoke: { executor: 'per-vu-iterations', exec: 'camera', vus: 1, iterations: 1, maxDuration: '40s', startTime: '2s' },
    upload_smoke: { executor: 'per-vu-iterations', exec: 'upload', vus: 1, iterations: 3, maxDuration: '40s', startTime: '4s' },
    idle_smoke: { executor: 'per-vu-iterations', exec: 'idle', vus: 20, iterations: 1, maxDuration: '40s', env: { HOLD: '10' } },
  },
  canvas: { canvas: { executor: 'constant-vus', exec: 'canvas', vus: VUS, duration: DURATION } },
  camera: { camera: { executor: 'constant-vus', exec: 'camera', vus: VUS, duration: DURATION } },
  upload: {
    upload: {
      executor: 'constant-arrival-rate',
      exec: 'upload',
      rate: RATE,
      timeUnit: '1s',
      duration: DURATION,
      preAllocatedVUs: Math.max(2, RATE * 2),
      maxVUs: Math.max(10, RATE * 10),
    },
  },
  idle: { idle: { executor: 'per-vu-iterations', exec: 'idle', vus: VUS, iterations: 1, maxDuration: `${HOLD_SECONDS + 60}s` } },
};
if (!SCENARIOS[SCENARIO]) throw new Error(`unknown SCENARIO ${SCENARIO}; one of ${Object.keys(SCENARIOS).join(', ')}`);

export const options = {
  scenarios: SCENARIOS[SCENARIO],
  thresholds: {
    checks: ['rate>0.99'],
    protocol_errors: ['count==0'],
    http_req_failed: ['rate<0.01'],
    stroke_end_to_prediction: ['p(95)<100'],
    frame_to_prediction: ['p(95)<500'],
    // Measured accuracy on numbers made of MNIST test digits (README) less a margin: a drop below
    // means the server reads worse under load, not that handwriting is hard.
    'correct_readings{mode:canvas}': ['rate>0.7'],
    'correct_readings{mode:camera}': ['rate>0.5'],
    'correct_readings{mode:upload}': ['rate>0.7'],
  },
  summaryTrendStats: ['avg', 'min', 'med', 'p(90)', 'p(95)', 'p(99)', 'max', 'count'],
};

export function setup() {
  const health = http.get(`${BASE_URL}/healthz`);
  if (health.status !== 200) fail(`the server at ${BASE_URL} is not healthy (HTTP ${health.status})`);
  return { workers: health.json('workers') };
}

function parse(event) {
  const message = JSON.parse(event.data);
  if (message.type === 'error') protocolErrors.add(1, { code: message.code });
  return message;
}

/** A person writes one number at pen speed (a point every 16 ms), stroke by stroke. */
export function canvas() {
  const number = numbers[(__VU * 13 + __ITER) % numbers.length];
  const ws = new WebSocket(WS_URL);
  const sentAt = new Map();
  let seq = 0;
  let finalSeq = Infinity;
  const timers = [];
  const send = (message) => {
    seq += 1;
    ws.send(JSON.stringify(Object.assign(message, { seq })));
    return seq;
  };
  let finished = false;
  const finish = (answered, correct) => {
    // Predictions already on their way after the one that finished the number would finish it
    // again: counted twice, and closing a closing socket is an error in k6 ("close sent").
    if (finished) return;
    finished = true;
    timers.forEach(clearTimeout);
    // Whether it was read right is measured by correct_readings; the check is that it was read at all.
    check(answered, { 'canvas: the finished number was read': (a) => a });
    if (answered) correctReadings.add(correct, { mode: 'canvas' });
    ws.close();
  };
  ws.onopen = () => {
    send({ type: 'hello', version: 1, mode: 'canvas', canvas: { width: number.width, height: number.height } });
    const start = number.strokes[0][0][2];
    const at = (time, action) => timers.push(setTimeout(action, time - start));
    number.strokes.forEach((stroke, s) => {
      const id = s + 1;
      at(stroke[0][2], () => send({ type: 'stroke-begin', stroke: id, point: stroke[0] }));
      const batches = [];
      for (const point of stroke.slice(1)) {
        const open = batches[batches.length - 1];
        if (open && point[2] < open.due) open.points.push(point);
        else batches.push({ due: point[2] + POINTS_BATCH_MS, points: [point] });
      }
      const end = stroke[stroke.length - 1][2];
      for (const batch of batches) at(Math.min(batch.due, end), () => send({ type: 'stroke-points', stroke: id, points: batch.points }));
      at(end, () => {
        const endSeq = send({ type: 'stroke-end', stroke: id });
        sentAt.set(endSeq, Date.now());
        if (s === number.strokes.length - 1) finalSeq = endSeq;
      });
    });
    const last = number.strokes[number.strokes.length - 1];
    timers.push(setTimeout(() => finish(false, false), last[last.length - 1][2] - start + 10000));
  };
  ws.onmessage = (event) => {
    const message = parse(event);
    if (message.type !== 'prediction') return;
    for (const [endSeq, at] of sentAt) {
      if ((message.ack || 0) >= endSeq) {
        strokeEndToPrediction.add(Date.now() - at);
        sentAt.delete(endSeq);
      }
    }
    if ((message.ack || 0) >= finalSeq) finish(true, message.text === number.text);
  };
  ws.onerror = () => protocolErrors.add(1, { code: 'socket' });
}

/** A webcam on one sheet of paper: 10 frames a second for CAMERA_SECONDS, the next frame never waiting for an answer. */
export function camera() {
  const frame = frames[(__VU + __ITER) % frames.length];
  const ws = new WebSocket(WS_URL);
  const sentAt = new Map();
  let number = 0;
  let ticker;
  let correct = 0;
  let read = 0;
  ws.binaryType = 'arraybuffer';
  ws.onopen = () => {
    ws.send(JSON.stringify({ type: 'hello', version: 1, mode: 'camera' }));
    ticker = setInterval(() => {
      number += 1;
      const message = new Uint8Array(4 + frame.bytes.byteLength);
      new DataView(message.buffer).setUint32(0, number);
      message.set(new Uint8Array(frame.bytes), 4);
      sentAt.set(number, Date.now());
      ws.send(message.buffer);
    }, FRAME_EVERY_MS);
    setTimeout(() => {
      clearInterval(ticker);
      setTimeout(() => {
        check(read, { 'camera: frames were read': (n) => n > 0 });
        if (read > 0) correctReadings.add(correct / read >= 0.5, { mode: 'camera' });
        ws.close();
      }, 1500);
    }, CAMERA_SECONDS * 1000);
  };
  ws.onmessage = (event) => {
    const message = parse(event);
    if (message.type !== 'prediction') return;
    read += 1;
    if (message.text === frame.text) correct += 1;
    if (message.dropped) droppedFrames.add(message.dropped);
    const at = sentAt.get(message.frame);
    if (at !== undefined) frameToPrediction.add(Date.now() - at);
    for (const key of sentAt.keys()) if (key <= message.frame) sentAt.delete(key);
  };
  ws.onerror = () => protocolErrors.add(1, { code: 'socket' });
}

/** Three images in one multipart upload. */
export function upload() {
  const picked = [0, 1, 2].map((i) => uploads[(__VU * 5 + __ITER * 3 + i) % uploads.length]);
  const body = {};
  picked.forEach((u, i) => {
    body[`image${i}`] = http.file(u.bytes, u.name, 'image/png');
  });
  const response = http.post(`${BASE_URL}/api/recognize`, body, { tags: { name: 'upload' } });
  const ok = check(response, { 'upload: 200': (r) => r.status === 200 });
  if (!ok) return;
  // Matched by file name: k6 builds the multipart body from a map, so the files' order is not kept.
  const truth = new Map(picked.map((u) => [u.name, u.text]));
  response.json('results').forEach((result) => correctReadings.add(result.text === truth.get(result.file), { mode: 'upload' }));
}

/** A connected session that says hello and then nothing for HOLD seconds. */
export function idle() {
  const hold = Number(__ENV.HOLD || HOLD_SECONDS);
  const ws = new WebSocket(WS_URL);
  let closedEarly = false;
  let timer;
  ws.onopen = () => {
    ws.send(JSON.stringify({ type: 'hello', version: 1, mode: 'canvas', canvas: { width: 800, height: 300 } }));
    timer = setTimeout(() => {
      check(closedEarly, { 'idle: the session was held': (early) => !early });
      if (!closedEarly) idleHeld.add(1);
      ws.close();
    }, hold * 1000);
  };
  ws.onmessage = (event) => parse(event);
  ws.onclose = () => {
    if (timer !== undefined) closedEarly = true;
  };
  ws.onerror = () => protocolErrors.add(1, { code: 'socket' });
}

function metric(data, name, stat) {
  const values = data.metrics[name] && data.metrics[name].values;
  return values && values[stat] !== undefined ? values[stat] : undefined;
}

export function handleSummary(data) {
  const ms = (v) => (v === undefined ? '-' : `${v.toFixed(1)} ms`);
  const pct = (v) => (v === undefined ? '-' : `${(v * 100).toFixed(1)} %`);
  const failed = Object.entries(data.metrics)
    .filter(([, m]) => m.thresholds && Object.values(m.thresholds).some((t) => !t.ok))
    .map(([name]) => name);
  const seconds = data.state.testRunDurationMs / 1000;
  const lines = [
    `Digit Stream load test, scenario ${SCENARIO}, ${seconds.toFixed(0)} s`,
    `  stroke-end → prediction: p50 ${ms(metric(data, 'stroke_end_to_prediction', 'med'))}, p95 ${ms(metric(data, 'stroke_end_to_prediction', 'p(95)'))}, p99 ${ms(metric(data, 'stroke_end_to_prediction', 'p(99)'))} (${metric(data, 'stroke_end_to_prediction', 'count') || 0} strokes)`,
    `  frame → prediction:      p50 ${ms(metric(data, 'frame_to_prediction', 'med'))}, p95 ${ms(metric(data, 'frame_to_prediction', 'p(95)'))} (${metric(data, 'frame_to_prediction', 'count') || 0} frames read, ${((metric(data, 'frame_to_prediction', 'count') || 0) / seconds).toFixed(1)}/s; ${metric(data, 'dropped_frames', 'count') || 0} dropped)`,
    `  uploads: ${metric(data, 'http_reqs', 'count') || 0} requests, p95 ${ms(metric(data, 'http_req_duration', 'p(95)'))}, failed ${pct(metric(data, 'http_req_failed', 'rate'))}`,
    `  idle sessions held: ${metric(data, 'idle_sessions_held', 'count') || 0}`,
    `  correct readings: ${pct(metric(data, 'correct_readings', 'rate'))}; checks ${pct(metric(data, 'checks', 'rate'))}; protocol errors ${metric(data, 'protocol_errors', 'count') || 0}`,
    failed.length ? `  THRESHOLDS FAILED: ${failed.join(', ')}` : '  all thresholds met',
    '',
  ];
  const out = { stdout: lines.join('\n') };
  if (__ENV.RESULTS_FILE) out[__ENV.RESULTS_FILE] = JSON.stringify(data, null, 2);
  return out;
}
