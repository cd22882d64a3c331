/** Prometheus metrics for /metrics: sessions, messages, predictions, latency, dropped frames, errors. */
import { performance } from 'node:perf_hooks';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export type Mode = 'canvas' | 'camera' | 'upload';

export class Metrics {
  readonly registry = new Registry();
  readonly sessions = new Gauge({ name: 'digit_stream_sessions', help: 'Open WebSocket sessions', labelNames: ['mode'] as const, registers: [this.registry] });
  readonly messages = new Counter({
    name: 'digit_stream_messages_total',
    help: 'Client messages received, by type (binary camera frames as "frame")',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });
  readonly predictions = new Counter({
    name: 'digit_stream_predictions_total',
    help: 'Predictions sent or upload files read',
    labelNames: ['mode'] as const,
    registers: [this.registry],
  });
  readonly recognitionSeconds = new Histogram({
    name: 'digit_stream_recognition_seconds',
    help: 'Time from a change (stroke message, frame, upload) to its prediction, queueing included',
    labelNames: ['mode'] as const,
    buckets: [0.002, 0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly droppedFrames = new Counter({
    name: 'digit_stream_dropped_frames_total',
    help: 'Camera frames never read: replaced by a newer frame, over the frame rate, or workers busy',
    registers: [this.registry],
  });
  readonly resumes = new Counter({
    name: 'digit_stream_resumes_total',
    help: 'Canvases resumed by a reconnecting client, by where the canvas was: parked (dropped connection), live (taken over) or store (saved before a restart)',
    labelNames: ['from'] as const,
    registers: [this.registry],
  });
  readonly closes = new Counter({
    name: 'digit_stream_session_closes_total',
    help: "WebSocket connections ended, by why: a CloseReason, the client's own reason, heartbeat-missed or connection-lost",
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly errors = new Counter({
    name: 'digit_stream_errors_total',
    help: 'Error messages and failed upload files, by code',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });

  /**
   * Where the CPU goes, to tell what limits throughput: seconds the main thread's event loop was
   * busy (protocol, sockets, HTTP) and seconds recognition workers spent on tasks (decode,
   * segmentation, inference), both since start. Rates of these over the cores say which saturates.
   */
  readonly mainThreadBusySeconds = new Gauge({
    name: 'digit_stream_main_thread_busy_seconds',
    help: 'Seconds the main thread event loop was busy since start',
    registers: [this.registry],
    collect() {
      this.set(performance.eventLoopUtilization().active / 1000);
    },
  });
  readonly workerBusySeconds: Gauge;
  readonly workers: Gauge;

  /** `pool`: the recognition pool whose worker time and size each scrape reports. */
  constructor(options: { processMetrics?: boolean; pool?: { busySeconds: number; threads: number } } = {}) {
    const { pool } = options;
    this.workerBusySeconds = new Gauge({
      name: 'digit_stream_worker_busy_seconds',
      help: 'Seconds recognition workers spent on tasks since start, summed over workers',
      registers: [this.registry],
      collect() {
        if (pool) this.set(pool.busySeconds);
      },
    });
    this.workers = new Gauge({
      name: 'digit_stream_workers',
      help: 'Recognition worker threads',
      registers: [this.registry],
      collect() {
        if (pool) this.set(pool.threads);
      },
    });
    // Process metrics include event-loop lag: the first sign of CPU work on the main thread.
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'digit_stream_' });
  }
}
