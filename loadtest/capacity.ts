/**
 * npm run loadtest:capacity -- [--kinds canvas,camera,upload,idle] [--step-seconds N] [--levels A,B,...] [--hold S]
 * Finds this machine's capacity with k6: steps the load up and reports, per step, the figures the
 * load test measures and where the CPU went (main thread, recognition workers, garbage collection,
 * the load generator), so that what limits us is measured rather than guessed.
 *   canvas: concurrent people writing; passes while stroke-end → prediction p95 < 100 ms, no errors
 *   camera: sessions sending 10 frames/s each; reports frames read per second and their latency
 *   upload: POSTs of 3 images per second; passes while p95 < 2 s, no failures, k6 kept the rate
 *   idle:   connected sessions held for --hold seconds; passes while every one is held
 * The server and k6 share this machine's cores, so figures are for the pair, as a single box
 * would serve them. A benchmark: it reports and saves JSON under loadtest/results/, asserts nothing.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseCli, positiveInteger } from '../server/cli-args.js';
import { startServerProcess, type ServerProcess } from '../test/support/server-process.js';
import { LOAD_TEST_SERVER_ENV, prepareK6, RESULTS_DIR, runK6, type Scenario } from './k6.js';

const KINDS = ['canvas', 'camera', 'upload', 'idle'] as const;
type Kind = (typeof KINDS)[number];
const USAGE = `Usage: npm run loadtest:capacity -- [--kinds ${KINDS.join(',')}] [--step-seconds N] [--levels A,B,...] [--hold S]
  --levels   the load levels to try (sessions, or uploads/s), for a single kind; default a preset per kind`;
const { values } = parseCli({ kinds: { type: 'string' }, 'step-seconds': { type: 'string' }, levels: { type: 'string' }, hold: { type: 'string' } }, USAGE);
const kinds = (values.kinds ?? KINDS.join(',')).split(',') as Kind[];
for (const kind of kinds) if (!KINDS.includes(kind)) throw new Error(`unknown kind ${kind}; ${USAGE}`);
const stepSeconds = positiveInteger(values['step-seconds'], 'step-seconds', 40);
const holdSeconds = positiveInteger(values.hold, 'hold', 30);
if (values.levels && kinds.length !== 1) throw new Error(`--levels needs exactly one kind; ${USAGE}`);
const chosenLevels = values.levels?.split(',').map((level) => positiveInteger(level, 'levels', 1));

/** Load levels tried in order; canvas, upload and idle stop at the first level that fails. */
const LEVELS: Record<Kind, number[]> = {
  canvas: [25, 50, 100, 150, 200, 300, 400],
  camera: [1, 2, 4, 8, 16],
  upload: [4, 8, 16, 32, 48, 64],
  // 19,000 is as far as this machine's 20,000 open files per process allow.
  idle: [1000, 5000, 10000, 15000, 19000],
};
const CANVAS_P95_MS = 100;
const UPLOAD_P95_MS = 2000;

type Metrics = Map<string, number>;

async function scrape(metricsUrl: string): Promise<Metrics> {
  const text = await (await fetch(metricsUrl)).text();
  const metrics: Metrics = new Map();
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})? ([-\d.e+]+|NaN)$/.exec(line);
    if (!match) continue;
    // Labelled series are summed under their name: the totals are what this report needs.
    metrics.set(match[1], (metrics.get(match[1]) ?? 0) + Number(match[3]));
  }
  return metrics;
}

/** Busy and total CPU time of the whole machine, from /proc/stat (Linux), in seconds. */
async function machineCpu(): Promise<{ busy: number; total: number } | undefined> {
  try {
    const fields = (await readFile('/proc/stat', 'utf8')).split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const ticks = 100; // USER_HZ, 100 on Linux
    const idle = fields[3] + fields[4];
    const total = fields.reduce((a, b) => a + b, 0);
    return { busy: (total - idle) / ticks, total: total / ticks };
  } catch {
    return undefined;
  }
}

interface Step {
  kind: Kind;
  level: number;
  passed: boolean;
  figures: Record<string, number | undefined>;
  /** Cores' worth of CPU used over the step, and the event loop's share of one core. */
  cpu: {
    serverCores?: number;
    machineCores?: number;
    loadGeneratorCores?: number;
    mainThreadBusy?: number;
    workersBusy?: number;
    gcShare?: number;
    eventLoopLagP99Ms?: number;
    serverMemoryMiB?: number;
  };
}

function k6Value(summary: { metrics: Record<string, { values: Record<string, number> }> }, name: string, stat: string): number | undefined {
  return summary.metrics[name]?.values?.[stat];
}

async function runStep(kind: Kind, level: number, server: ServerProcess): Promise<Step> {
  const { baseUrl, metricsUrl } = server;
  const sizes: Record<string, string> = { DURATION: `${stepSeconds}s` };
  if (kind === 'upload') sizes.RATE = String(level);
  else sizes.VUS = String(level);
  if (kind === 'idle') sizes.HOLD = String(holdSeconds);
  const before = await scrape(metricsUrl),
    cpuBefore = await machineCpu(),
    startedAt = performance.now();
  const { resultsFile } = await runK6(kind as Scenario, baseUrl, sizes, `capacity-${kind}-${level}`, true);
  const wall = (performance.now() - startedAt) / 1000;
  const after = await scrape(metricsUrl),
    cpuAfter = await machineCpu();
  const delta = (name: string) => (after.get(name) ?? 0) - (before.get(name) ?? 0);
  const summary = JSON.parse(await readFile(resultsFile, 'utf8'));
  const seconds = summary.state.testRunDurationMs / 1000;
  const v = (name: string, stat: string) => k6Value(summary, name, stat);
  const errors = (v('protocol_errors', 'count') ?? 0) + (v('checks', 'fails') ?? 0);
  let figures: Step['figures'];
  let passed: boolean;
  switch (kind) {
    case 'canvas':
      figures = {
        p50Ms: v('stroke_end_to_prediction', 'med'),
        p95Ms: v('stroke_end_to_prediction', 'p(95)'),
        p99Ms: v('stroke_end_to_prediction', 'p(99)'),
        strokes: v('stroke_end_to_prediction', 'count'),
        correct: v('correct_readings', 'rate'),
        errors,
      };
      passed = errors === 0 && (figures.p95Ms ?? Infinity) < CANVAS_P95_MS;
      break;
    case 'camera': {
      const read = v('frame_to_prediction', 'count') ?? 0;
      figures = {
        framesReadPerSecond: read / seconds,
        p50Ms: v('frame_to_prediction', 'med'),
        p95Ms: v('frame_to_prediction', 'p(95)'),
        dropped: v('dropped_frames', 'count') ?? 0,
        correct: v('correct_readings', 'rate'),
        errors,
      };
      passed = errors === 0;
      break;
    }
    case 'upload': {
      const dropped = v('dropped_iterations', 'count') ?? 0;
      figures = {
        requestsPerSecond: (v('http_reqs', 'count') ?? 0) / seconds,
        imagesPerSecond: (3 * (v('http_reqs', 'count') ?? 0)) / seconds,
        p50Ms: v('http_req_duration', 'med'),
        p95Ms: v('http_req_duration', 'p(95)'),
        failed: v('http_req_failed', 'rate'),
        notSent: dropped,
        correct: v('correct_readings', 'rate'),
        errors,
      };
      passed = errors === 0 && dropped === 0 && (figures.failed ?? 1) < 0.01 && (figures.p95Ms ?? Infinity) < UPLOAD_P95_MS;
      break;
    }
    case 'idle':
      figures = { held: v('idle_sessions_held', 'count') ?? 0, errors };
      passed = errors === 0 && figures.held === level;
      break;
  }
  const serverCores = delta('digit_stream_process_cpu_seconds_total') / wall;
  const machineCores = cpuBefore && cpuAfter ? (cpuAfter.busy - cpuBefore.busy) / wall : undefined;
  const workers = after.get('digit_stream_workers') ?? 1;
  return {
    kind,
    level,
    passed,
    figures,
    cpu: {
      serverCores,
      machineCores,
      loadGeneratorCores: machineCores !== undefined ? Math.max(0, machineCores - serverCores) : undefined,
      mainThreadBusy: delta('digit_stream_main_thread_busy_seconds') / wall,
      workersBusy: delta('digit_stream_worker_busy_seconds') / (wall * workers),
      gcShare: delta('digit_stream_nodejs_gc_duration_seconds_sum') / wall,
      eventLoopLagP99Ms: (after.get('digit_stream_nodejs_eventloop_lag_p99_seconds') ?? Number.NaN) * 1000,
      serverMemoryMiB: (after.get('digit_stream_process_resident_memory_bytes') ?? Number.NaN) / 2 ** 20,
    },
  };
}

const fmt = (value: number | undefined, digits = 1) => (value === undefined || Number.isNaN(value) ? '-' : value.toFixed(digits));
const pct = (value: number | undefined) => (value === undefined || Number.isNaN(value) ? '-' : `${(value * 100).toFixed(0)}%`);

function describe(step: Step): string {
  const f = step.figures;
  const load = {
    canvas: `${step.level} writers: stroke-end → prediction p50 ${fmt(f.p50Ms)} / p95 ${fmt(f.p95Ms)} / p99 ${fmt(f.p99Ms)} ms, ${f.strokes} strokes, ${pct(f.correct)} correct`,
    camera: `${step.level} cameras at 10 fps: ${fmt(f.framesReadPerSecond)} frames read/s, p50 ${fmt(f.p50Ms)} / p95 ${fmt(f.p95Ms)} ms, ${f.dropped} dropped, ${pct(f.correct)} correct`,
    upload: `${step.level} uploads/s asked: ${fmt(f.requestsPerSecond)} req/s (${fmt(f.imagesPerSecond)} images/s), p50 ${fmt(f.p50Ms)} / p95 ${fmt(f.p95Ms)} ms, ${pct(f.failed)} failed, ${f.notSent} not sent, ${pct(f.correct)} correct`,
    idle: `${step.level} idle sessions: ${f.held} held`,
  }[step.kind];
  const c = step.cpu;
  return `${step.passed ? 'pass' : 'FAIL'}  ${load}, ${f.errors} errors\n      cpu: server ${fmt(c.serverCores, 2)} cores, k6 and the rest ${fmt(c.loadGeneratorCores, 2)} cores; main thread ${pct(c.mainThreadBusy)} busy, workers ${pct(c.workersBusy)} busy, GC ${pct(c.gcShare)} of a core, event-loop lag p99 ${fmt(c.eventLoopLagP99Ms)} ms, server memory ${fmt(c.serverMemoryMiB, 0)} MiB`;
}

await prepareK6();
const steps: Step[] = [];
for (const kind of kinds) {
  console.log(`\n${kind}: ${stepSeconds} s per step`);
  const server = await startServerProcess(LOAD_TEST_SERVER_ENV);
  try {
    for (const level of chosenLevels ?? LEVELS[kind]) {
      const step = await runStep(kind, level, server);
      steps.push(step);
      console.log(describe(step));
      if (!step.passed && kind !== 'camera') break;
    }
  } finally {
    await server.stop();
  }
}

console.log('\ncapacity on this machine:');
for (const kind of kinds) {
  const own = steps.filter((s) => s.kind === kind);
  const best = own.filter((s) => s.passed).at(-1);
  if (kind === 'camera') {
    const peak = own.reduce((a, b) => ((b.figures.framesReadPerSecond ?? 0) > (a.figures.framesReadPerSecond ?? 0) ? b : a));
    console.log(`  camera: ${fmt(peak.figures.framesReadPerSecond)} frames read/s at most (${peak.level} sessions, p95 ${fmt(peak.figures.p95Ms)} ms)`);
  } else if (!best) {
    console.log(`  ${kind}: not even the first level (${own[0]?.level}) passed`);
  } else {
    const next = own.find((s) => s.level > best.level);
    const detail = {
      canvas: `concurrent writers with p95 ${fmt(best.figures.p95Ms)} ms`,
      upload: `uploads/s of 3 images (${fmt(best.figures.imagesPerSecond)} images/s, p95 ${fmt(best.figures.p95Ms)} ms)`,
      idle: 'idle sessions held',
    }[kind];
    console.log(`  ${kind}: ${best.level} ${detail}${next ? `; ${next.level} failed` : '; the highest level tried'}`);
  }
}
const file = join(RESULTS_DIR, `capacity-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
await writeFile(file, JSON.stringify({ stepSeconds, holdSeconds, steps }, null, 2));
console.log(`saved as ${file}`);
