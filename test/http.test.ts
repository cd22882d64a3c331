import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configFromEnvironment, DEFAULT_CONFIG } from '../server/config.js';
import { loadMnist } from '../training/mnist.js';
import { seededRandom } from '../training/random.js';
import { RecognitionPool } from '../server/recognition/pool.js';
import { composeNumber, encodePng, SETS } from '../training/compose.js';
import { startTestServer, type TestServer } from './support/test-server.js';

let pool: RecognitionPool;
let server: TestServer;
let base: string;

beforeAll(async () => {
  pool = await RecognitionPool.start({ threads: 1, maxQueue: 16 });
  server = await startTestServer(pool, { uploadMaxFiles: 3, uploadMaxFileBytes: 200_000 });
  base = server.base;
});

afterAll(async () => {
  await server.close();
  await pool.close();
});

async function number(seed: number) {
  const image = await composeNumber(await loadMnist('test'), seededRandom(seed), SETS.clean);
  return { text: image.text, png: await encodePng(image) };
}

function form(files: { name: string; bytes: Uint8Array; type?: string }[]): FormData {
  const body = new FormData();
  for (const f of files) body.append('images', new Blob([new Uint8Array(f.bytes)], { type: f.type ?? 'image/png' }), f.name);
  return body;
}

describe('HTTP', () => {
  it('answers /healthz', async () => {
    const response = await fetch(`${base}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      status: 'ok',
      workers: 1,
      penWorkers: 1,
      queued: 0,
      inference: expect.stringMatching(/^onnxruntime .* \(cpu, 1 thread\)$/),
    });
  });

  it('reads several uploaded images, and gives a non-image its own 415 while the others are read', async () => {
    const [a, b] = [await number(31), await number(32)];
    const response = await fetch(`${base}/api/recognize`, {
      method: 'POST',
      body: form([
        { name: 'a.png', bytes: a.png },
        { name: 'notes.txt', bytes: new TextEncoder().encode('not an image'), type: 'text/plain' },
        { name: 'b.png', bytes: b.png },
      ]),
    });
    expect(response.status).toBe(200);
    const { results } = (await response.json()) as { results: { file: string; status: number; text?: string; error?: { code: string } }[] };
    expect(results.map((r) => [r.file, r.status])).toEqual([
      ['a.png', 200],
      ['notes.txt', 415],
      ['b.png', 200],
    ]);
    expect(results[1].error?.code).toBe('unsupported-image');
    expect(results[0].text).toMatch(/^\d+$/);
  });

  it('answers 415 when every file is a non-image, and 413 for a file over the size limit', async () => {
    const junk = await fetch(`${base}/api/recognize`, { method: 'POST', body: form([{ name: 'x.pdf', bytes: new TextEncoder().encode('%PDF-1.4') }]) });
    expect(junk.status).toBe(415);
    const big = await fetch(`${base}/api/recognize`, { method: 'POST', body: form([{ name: 'huge.png', bytes: new Uint8Array(300_000) }]) });
    expect(big.status).toBe(413);
    expect(((await big.json()) as { results: { error: { code: string } }[] }).results[0].error.code).toBe('file-too-large');
  });

  it('reads only as many files as allowed, and says so', async () => {
    const { png } = await number(33);
    const files = Array.from({ length: 5 }, (_, i) => ({ name: `${i}.png`, bytes: png }));
    const response = await fetch(`${base}/api/recognize`, { method: 'POST', body: form(files) });
    const body = (await response.json()) as { results: unknown[]; warning?: { code: string } };
    expect(body.results).toHaveLength(3);
    expect(body.warning?.code).toBe('too-many-files');
  });

  it('refuses what is not a multipart upload, other methods and unknown paths with JSON errors', async () => {
    const plain = await fetch(`${base}/api/recognize`, { method: 'POST', body: 'hello', headers: { 'content-type': 'text/plain' } });
    expect(plain.status).toBe(415);
    expect(((await plain.json()) as { error: { code: string } }).error.code).toBe('not-multipart');
    const empty = await fetch(`${base}/api/recognize`, { method: 'POST', body: new FormData() });
    expect(empty.status).toBe(400);
    const broken = await fetch(`${base}/api/recognize`, {
      method: 'POST',
      body: '--x\r\nnonsense',
      headers: { 'content-type': 'multipart/form-data; boundary=x' },
    });
    expect(broken.status).toBe(400);
    expect((await fetch(`${base}/api/recognize`)).status).toBe(405);
    expect((await fetch(`${base}/nowhere`)).status).toBe(404);
    // The server is still up and reading after all of that.
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });
});

describe('metrics', () => {
  it('exposes counters and latency histograms in Prometheus format', async () => {
    const response = await fetch(server.metricsUrl);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await response.text();
    const value = (pattern: RegExp) => Number(text.match(pattern)?.[1] ?? Number.NaN);
    expect(value(/^digit_stream_predictions_total\{mode="upload"\} (\d+)/m)).toBeGreaterThanOrEqual(3);
    expect(value(/^digit_stream_errors_total\{code="unsupported-image"\} (\d+)/m)).toBeGreaterThanOrEqual(2);
    expect(value(/^digit_stream_recognition_seconds_count\{mode="upload"\} (\d+)/m)).toBeGreaterThanOrEqual(3);
    // Where the CPU went: the uploads above kept the workers busy for some time, the main thread too.
    expect(value(/^digit_stream_worker_busy_seconds ([\d.e-]+)/m)).toBeGreaterThan(0);
    expect(value(/^digit_stream_main_thread_busy_seconds ([\d.e-]+)/m)).toBeGreaterThan(0);
    expect(value(/^digit_stream_workers (\d+)/m)).toBe(1);
  });
});

describe('configuration', () => {
  it('takes the defaults, overridden by environment variables, and rejects malformed numbers', () => {
    expect(configFromEnvironment({})).toEqual(DEFAULT_CONFIG);
    expect(configFromEnvironment({ PORT: '9000', UPLOAD_MAX_FILES: '5' })).toMatchObject({ port: 9000, uploadMaxFiles: 5 });
    expect(() => configFromEnvironment({ WORKERS: 'many' })).toThrow(/WORKERS=many/);
  });
});
