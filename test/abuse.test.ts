/**
 * The reliability suite (issue: one request must never take the server down, one client must
 * never starve the rest). Starts the real server (server/main.ts) in its own process, keeps two
 * bystanders writing on their canvases from another address throughout, and runs each abuse
 * against it: the server stays up, each attacker gets its documented refusal, the bystanders keep
 * getting right readings, and the server's memory stays within a stated bound.
 */
import { readFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { CloseReason, ErrorCode, PROTOCOL_LIMITS, PROTOCOL_VERSION } from '../shared/protocol.js';
import { composeNumber, encodePng, SETS } from '../training/compose.js';
import { loadMnist } from '../training/mnist.js';
import { seededRandom } from '../training/random.js';
import { Client, ellipse, one, seven } from './support/protocol-client.js';
import { startServerProcess, type ServerProcess } from './support/server-process.js';

/** Growth of the server's resident memory over the whole suite that counts as bounded. */
const MEMORY_BOUND_MIB = 384;
const UPLOAD_TIMEOUT_MS = 2000;
const SESSIONS_PER_ADDRESS = 12;
const SERVER_ENV = {
  SESSIONS_PER_ADDRESS_MAX: String(SESSIONS_PER_ADDRESS),
  UPLOADS_PER_ADDRESS_MAX: '2',
  UPLOAD_TIMEOUT_MS: String(UPLOAD_TIMEOUT_MS),
  UPLOAD_MAX_REQUEST_BYTES: String(8 * 1024 * 1024),
  HEARTBEAT_MS: '500',
  WS_OUTBOX_MAX_BYTES: String(64 * 1024),
};
/** Attackers connect from 127.0.0.1, bystanders from here: another client address on the loopback. */
const BYSTANDER_ADDRESS = '127.0.0.2';

let server: ServerProcess;
let port: number;
let wsUrl: string;
let startRss: number;
let bystanders: Bystander[];

async function residentMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A person writing "107" over and over on their canvas, checking each reading after the last pen-up. */
class Bystander {
  readings: string[] = [];
  failures: string[] = [];
  private running = true;
  private loop: Promise<void>;

  constructor(private readonly client: Client) {
    this.loop = this.write();
  }

  static async start(): Promise<Bystander> {
    return new Bystander(await Client.canvas(wsUrl, undefined, 0, { localAddress: BYSTANDER_ADDRESS }));
  }

  private async write(): Promise<void> {
    for (let round = 0; this.running; round++) {
      this.client.stroke(`one-${round}`, one);
      this.client.stroke(`zero-${round}`, ellipse(200));
      const last = this.client.stroke(`seven-${round}`, seven);
      const reading = await Promise.race([this.client.predictionAfter(last), pause(15_000).then(() => null)]);
      if (!reading) this.failures.push(`round ${round}: no reading within 15 s`);
      else if (reading.text !== '107') this.failures.push(`round ${round}: read ${JSON.stringify(reading.text)}`);
      else this.readings.push(reading.text);
      const cleared = await Promise.race([this.client.predictionAfter(this.client.send({ type: 'clear' })), pause(15_000).then(() => null)]);
      if (!cleared) this.failures.push(`round ${round}: no reading of the clear within 15 s`);
      await pause(100);
    }
  }

  /** Readings so far; waits for at least `more` new ones (the bystander is still being served). */
  async served(more = 1): Promise<void> {
    const target = this.readings.length + more;
    while (this.readings.length < target && this.failures.length === 0) await pause(50);
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    this.client.close();
  }
}

/** Sends raw bytes on a new TCP connection and returns all the server answers until it closes. */
function rawExchange(request: string | Buffer, options: { keepOpenMs?: number } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.write(request);
    if (options.keepOpenMs === undefined) socket.end();
  });
}

/** Starts an upload whose body never finishes arriving; resolves with the socket and everything the server answers. */
function stalledUpload(): { socket: Socket; answer: Promise<string> } {
  const socket = connect(port, '127.0.0.1');
  const chunks: Buffer[] = [];
  socket.on('data', (chunk) => chunks.push(chunk));
  const answer = new Promise<string>((resolve) => socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1'))));
  socket.write(
    'POST /api/recognize HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: 100000\r\n\r\n--b\r\nContent-Disposition: form-data; name="images"; filename="a.png"\r\n\r\n\x89PNG',
  );
  return { socket, answer };
}

/** Connections the server has ended for any of `reasons`, from its metrics. */
async function closesFor(reasons: string[]): Promise<number> {
  const text = await (await fetch(server.metricsUrl)).text();
  let total = 0;
  for (const [, reason, value] of text.matchAll(/^digit_stream_session_closes_total\{reason="([^"]+)"\} (\d+)/gm))
    if (reasons.includes(reason)) total += Number(value);
  return total;
}

function form(files: { name: string; bytes: Uint8Array; type?: string }[]): FormData {
  const body = new FormData();
  for (const f of files) body.append('images', new Blob([new Uint8Array(f.bytes)], { type: f.type ?? 'image/png' }), f.name);
  return body;
}

beforeAll(async () => {
  server = await startServerProcess(SERVER_ENV);
  port = Number(new URL(server.baseUrl).port);
  wsUrl = `${server.baseUrl.replace(/^http/, 'ws')}/ws`;
  bystanders = [await Bystander.start(), await Bystander.start()];
  await Promise.all(bystanders.map((b) => b.served(2)));
  startRss = await residentMiB(server.pid);
});

afterAll(async () => {
  await Promise.all((bystanders ?? []).map((b) => b.stop()));
  await server?.stop();
});

describe('abuse: the server stays up and serves the others', () => {
  it('answers request targets that are not paths with 400, over HTTP and WebSocket upgrades', async () => {
    for (const target of ['//localhost:99999/', '//[/', '*']) {
      const answer = await rawExchange(`GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      expect(answer).toMatch(/^HTTP\/1\.1 400 /);
      expect(answer).toContain('bad-request-target');
    }
    const upgrade = await rawExchange(
      'GET //localhost:99999/ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    expect(upgrade).toMatch(/^HTTP\/1\.1 400 /);
    expect((await fetch(`${server.baseUrl}/healthz`)).status).toBe(200);
    await Promise.all(bystanders.map((b) => b.served()));
  });

  it('bounds a canvas at its point limit, and reads it whole without failing', async () => {
    const attacker = await Client.canvas(wsUrl);
    const perStroke = 4000;
    const strokes = 10; // CANVAS_POINTS_MAX (40,000) in strokes of STROKE_POINTS_MAX points
    for (let s = 0; s < strokes; s++) {
      let t = 0;
      const id = `scribble-${s}`;
      attacker.send({ type: 'stroke-begin', stroke: id, point: [10, 10, t] });
      for (let sent = 1; sent < perStroke; sent += PROTOCOL_LIMITS.maxPointsPerMessage) {
        const count = Math.min(PROTOCOL_LIMITS.maxPointsPerMessage, perStroke - sent);
        const points = Array.from({ length: count }, (_, i) => [(sent + i) % 790, 10 + ((s * 29 + (sent + i) * 7) % 280), (t += 4)]);
        attacker.send({ type: 'stroke-points', stroke: id, points });
      }
      attacker.send({ type: 'stroke-end', stroke: id });
      await pause(200); // within the message rate
    }
    const full = await attacker.predictionAfter(attacker.seq);
    expect(full.type).toBe('prediction');
    const over = attacker.send({ type: 'stroke-begin', stroke: 'one-more', point: [5, 5, 0] });
    const refusal = await attacker.errorAfter(over);
    expect(refusal.code).toBe(ErrorCode.TooManyPoints);
    expect(refusal.message).toMatch(/clear or erase/);
    expect(attacker.messages.filter((m) => m.type === 'error' && m.code === ErrorCode.Internal)).toEqual([]);
    attacker.close();
    await Promise.all(bystanders.map((b) => b.served()));
  });

  it('refuses images by their bytes and size before decoding them: SVG, over the pixel limits', async () => {
    const svg = new TextEncoder().encode(
      '<svg xmlns="http://www.w3.org/2000/svg" width="9000" height="9000"><filter id="f"><feGaussianBlur stdDeviation="900"/></filter><rect width="9000" height="9000" filter="url(#f)"/></svg>',
    );
    const side = 6000; // 36 MP: over the 24 MP upload limit
    const bomb = await sharp({ create: { width: side, height: side, channels: 3, background: '#ffffff' } })
      .png({ palette: true, colours: 2 })
      .toBuffer();
    const response = await fetch(`${server.baseUrl}/api/recognize`, {
      method: 'POST',
      body: form([
        { name: 'blur.svg', bytes: svg, type: 'image/svg+xml' },
        { name: 'bomb.png', bytes: bomb },
      ]),
    });
    const { results } = (await response.json()) as { results: { file: string; status: number; error?: { code: string } }[] };
    expect(results.map((r) => [r.file, r.status, r.error?.code])).toEqual([
      ['blur.svg', 415, 'unsupported-image'],
      ['bomb.png', 413, 'image-too-large'],
    ]);

    // A camera frame has a lower limit than an upload: a 2000x1500 frame (3 MP) is refused.
    const camera = await Client.connect(wsUrl);
    camera.send({ type: 'hello', version: PROTOCOL_VERSION, mode: 'camera' });
    await camera.next((m) => m.type === 'ready');
    const frame = await sharp({ create: { width: 2000, height: 1500, channels: 3, background: '#ffffff' } })
      .jpeg()
      .toBuffer();
    const header = Buffer.alloc(4);
    header.writeUInt32BE(7);
    camera.raw(Buffer.concat([header, frame]));
    const error = await camera.next((m) => m.type === 'error' && m.frame === 7);
    expect(error).toMatchObject({ code: ErrorCode.ImageTooLarge });
    camera.close();
    await Promise.all(bystanders.map((b) => b.served()));
  });

  it('keeps pen readings going while uploads of large images fill the image workers', async () => {
    const side = 4800; // 23 MP: just under the upload limit, about a second of work each
    const scan = await sharp({ create: { width: side, height: side, channels: 3, background: '#ffffff' } })
      .png({ palette: true, colours: 2 })
      .toBuffer();
    const upload = () =>
      fetch(`${server.baseUrl}/api/recognize`, { method: 'POST', body: form(Array.from({ length: 6 }, (_, i) => ({ name: `scan-${i}.png`, bytes: scan }))) });
    let uploadsDone = 0;
    const uploads = [upload(), upload()].map((p) => p.then((r) => (uploadsDone++, r)));
    const before = bystanders.map((b) => b.readings.length);
    await Promise.all(bystanders.map((b) => b.served(2)));
    // Both bystanders were read twice more while the uploads were still being worked on.
    expect(uploadsDone).toBe(0);
    const answers = await Promise.all(uploads);
    expect(answers.map((r) => r.status)).toEqual([200, 200]);
    expect(bystanders.map((b, i) => b.readings.length - before[i]).every((n) => n >= 2)).toBe(true);
  });

  it('caps uploads per address and the size and time of a body', async () => {
    const stalled = [stalledUpload(), stalledUpload()];
    await pause(300);
    const third = await fetch(`${server.baseUrl}/api/recognize`, { method: 'POST', body: form([{ name: 'a.png', bytes: new Uint8Array(10) }]) });
    expect(third.status).toBe(429);
    expect(((await third.json()) as { error: { code: string } }).error.code).toBe('too-many-uploads');
    const answers = await Promise.all(stalled.map((s) => s.answer));
    for (const answer of answers) {
      expect(answer).toMatch(/^HTTP\/1\.1 408 /);
      expect(answer).toContain('upload-timeout');
    }
    const tooLarge = await rawExchange(
      'POST /api/recognize HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: 999999999\r\n\r\n',
      { keepOpenMs: 0 },
    );
    expect(tooLarge).toMatch(/^HTTP\/1\.1 413 /);
    expect(tooLarge).toContain('request-too-large');
    // Once the stalled ones are answered, uploads from this address are read again.
    const png = await encodePng(await composeNumber(await loadMnist('test'), seededRandom(4), SETS.clean));
    expect((await fetch(`${server.baseUrl}/api/recognize`, { method: 'POST', body: form([{ name: 'n.png', bytes: png }]) })).status).toBe(200);
  });

  it('limits connections from one address, and others still get in', async () => {
    const held: { socket: WebSocket; closed: Promise<[number, string]> }[] = [];
    for (let i = 0; i < SESSIONS_PER_ADDRESS + 5; i++) {
      const socket = new WebSocket(wsUrl);
      const closed = new Promise<[number, string]>((resolve) => socket.once('close', (code, reason) => resolve([code, reason.toString()])));
      held.push({ socket, closed });
      await new Promise((resolve) => socket.once('open', resolve));
    }
    const closes = await Promise.all(held.slice(SESSIONS_PER_ADDRESS).map((h) => h.closed));
    expect(closes.every(([code, reason]) => code === CloseReason.AddressFull.code && reason === CloseReason.AddressFull.reason)).toBe(true);
    const other = await Client.canvas(wsUrl, undefined, 0, { localAddress: '127.0.0.3' });
    expect((await other.predictionAfter(other.stroke('a', one))).text).toBe('1');
    other.close();
    for (const { socket } of held) socket.close();
    await Promise.all(bystanders.map((b) => b.served()));
  });

  it('closes ping floods and oversized messages with their reasons, and drops clients that answer no ping', async () => {
    const pinger = new WebSocket(wsUrl);
    await new Promise((resolve) => pinger.once('open', resolve));
    const pingerClosed = new Promise<[number, string]>((resolve) => pinger.once('close', (code, reason) => resolve([code, reason.toString()])));
    for (let i = 0; i < 5000 && pinger.readyState === WebSocket.OPEN; i++) pinger.ping('x'.repeat(100));
    expect(await pingerClosed).toEqual([CloseReason.Flooding.code, CloseReason.Flooding.reason]);

    const big = new WebSocket(wsUrl);
    await new Promise((resolve) => big.once('open', resolve));
    const bigClosed = new Promise<[number, string]>((resolve) => big.once('close', (code, reason) => resolve([code, reason.toString()])));
    big.send('x'.repeat(2 * 1024 * 1024));
    expect(await bigClosed).toEqual([CloseReason.TooBig.code, CloseReason.TooBig.reason]);

    // Pongs nobody asked for do not keep a client that never answers the server's pings alive.
    const deaf = new WebSocket(wsUrl, { autoPong: false });
    await new Promise((resolve) => deaf.once('open', resolve));
    const deafClosed = new Promise<number>((resolve) => deaf.once('close', (code) => resolve(code)));
    const unsolicited = setInterval(() => deaf.readyState === WebSocket.OPEN && deaf.pong('alive'), 100);
    expect(await deafClosed).toBe(1006);
    clearInterval(unsolicited);
    await Promise.all(bystanders.map((b) => b.served()));
  });

  it('ends a client that stops reading while it floods, holding a bounded amount for it', async () => {
    // Thirteen "107"s on a wide canvas make each reading a few kilobytes long.
    const attacker = await Client.connect(wsUrl);
    attacker.send({ type: 'hello', version: PROTOCOL_VERSION, mode: 'canvas', canvas: { width: 4000, height: 300 } });
    await attacker.next((m) => m.type === 'ready');
    for (let copy = 0; copy < 13; copy++) {
      const shift = (points: [number, number][]) => points.map(([x, y]) => [x + 300 * copy, y] as [number, number]);
      attacker.stroke(`1-${copy}`, shift(one));
      attacker.stroke(`0-${copy}`, shift(ellipse(200)));
      attacker.stroke(`7-${copy}`, shift(seven));
      await pause(100);
    }
    await attacker.predictionAfter(attacker.seq);
    const closed = new Promise<void>((resolve) => attacker.socket.once('close', () => resolve()));
    const endedBefore = await closesFor(['not-reading', 'heartbeat-missed']);
    // Stop reading: the server's replies pile up (in the kernel first, then in the server), and
    // the heartbeat's pings go unanswered.
    attacker.socket.pause();
    const flood = setInterval(() => {
      for (let i = 0; i < 10 && attacker.socket.readyState === WebSocket.OPEN; i++) {
        attacker.send({ type: i % 2 ? 'undo' : 'redo' });
        attacker.raw(JSON.stringify({ type: 'no-such-type-'.padEnd(40, 'x') }));
      }
    }, 100);
    await closed;
    clearInterval(flood);
    // The server ended it, whichever bound it reached first.
    expect(await closesFor(['not-reading', 'heartbeat-missed'])).toBe(endedBefore + 1);
    await Promise.all(bystanders.map((b) => b.served()));
  });

  it('refuses other sites: uploads and sessions from foreign origins, and sends security headers', async () => {
    const foreign = await fetch(`${server.baseUrl}/api/recognize`, {
      method: 'POST',
      headers: { origin: 'https://evil.example' },
      body: form([{ name: 'a.png', bytes: new Uint8Array(10) }]),
    });
    expect(foreign.status).toBe(403);
    expect(((await foreign.json()) as { error: { code: string } }).error.code).toBe('origin-not-allowed');
    const refused = await new Promise<string>((resolve) => {
      const socket = new WebSocket(wsUrl, { origin: 'https://evil.example' });
      socket.on('unexpected-response', (request, response) => {
        request.destroy();
        resolve(String(response.statusCode));
      });
      socket.on('open', () => resolve('open'));
    });
    expect(refused).toBe('403');
    const own = await Client.connect(wsUrl, { origin: server.baseUrl });
    own.close();

    const page = await fetch(`${server.baseUrl}/`);
    expect(page.headers.get('content-security-policy')).toMatch(/frame-ancestors 'none'/);
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect((await fetch(`${server.baseUrl}/metrics`)).status).toBe(404);
    expect((await fetch(server.metricsUrl)).status).toBe(200);
  });

  it('is still up, every bystander reading was right, and memory stayed bounded', async () => {
    await Promise.all(bystanders.map((b) => b.served()));
    for (const bystander of bystanders) {
      expect(bystander.failures).toEqual([]);
      expect(bystander.readings.length).toBeGreaterThan(10);
    }
    const growth = (await residentMiB(server.pid)) - startRss;
    console.log(`server memory: ${startRss.toFixed(0)} MiB after warm-up, grew ${growth.toFixed(0)} MiB over the suite`);
    expect(growth).toBeLessThan(MEMORY_BOUND_MIB);
    expect((await fetch(`${server.baseUrl}/healthz`)).status).toBe(200);
  });
});
