import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { CloseReason, encodeFrame, ErrorCode, PROTOCOL_VERSION, type ServerMessage } from '../shared/protocol.js';
import { loadMnist } from '../training/mnist.js';
import { seededRandom } from '../training/random.js';
import { asCameraFrame, composeNumber, SETS } from '../training/compose.js';
import { RecognitionPool } from '../server/recognition/pool.js';
import { Client, ellipse, one, seven } from './support/protocol-client.js';
import { startTestServer, type TestServer } from './support/test-server.js';

let pool: RecognitionPool;
let main: TestServer;
let url: string;
const config = { maxSessions: 4, wsMaxMessageBytes: 256 * 1024, maxStrokes: 20, cameraFpsMax: 60 };

beforeAll(async () => {
  pool = await RecognitionPool.start({ threads: 2, maxQueue: 32 });
  main = await startTestServer(pool, config);
  url = main.wsUrl;
});

afterAll(async () => {
  await main.close();
  await pool.close();
});

describe('live canvas sessions', () => {
  it('reads a number while it is written, before the last pen-up', async () => {
    const client = await Client.canvas(url);
    client.stroke('a', one);
    client.stroke('b', ellipse(200));
    const lastPoints = client.stroke('c', seven, { end: false });
    const whileDrawing = await client.predictionAfter(lastPoints);
    expect(whileDrawing.text).toBe('107');
    expect(whileDrawing.lines[0].digits.map((d) => d.digit)).toEqual([1, 0, 7]);
    const end = client.send({ type: 'stroke-end', stroke: 'c' });
    expect((await client.predictionAfter(end)).text).toBe('107');
    client.close();
  });

  it('reads a moving pen now and then, not at every message, and a stroke end at once', async () => {
    const client = await Client.canvas(url);
    let t = Date.now();
    let seq = client.send({ type: 'stroke-begin', stroke: 'long', point: [100, 150, t] });
    const pointMessages = 36;
    for (let i = 1; i <= pointMessages; i++) {
      await new Promise((resolve) => setTimeout(resolve, 16));
      seq = client.send({ type: 'stroke-points', stroke: 'long', points: [[100 + 15 * i, 150 + 40 * Math.sin(i / 3), (t += 16)]] });
    }
    await client.predictionAfter(seq);
    const whileMoving = client.messages.filter((m) => m.type === 'prediction').length;
    // Reading every message would answer ~37 times; at most one read per 100 ms over ~0.6 s is ~7.
    expect(whileMoving).toBeGreaterThanOrEqual(2);
    expect(whileMoving).toBeLessThan(pointMessages / 2);
    const end = client.send({ type: 'stroke-end', stroke: 'long' });
    await client.predictionAfter(end);
    client.close();
  });

  it("reads a date's form once the pen rests, not while the number may go on", async () => {
    // "10/00" in an italic hand (14 degrees) whose slash leans 10 degrees further: a 1 by its shape,
    // the date's slash by the number's form.
    const lean = Math.tan((14 * Math.PI) / 180);
    const italic = (points: [number, number][]) => points.map(([x, y]): [number, number] => [x + lean * (240 - y), y]);
    const slash: [number, number][] = Array.from({ length: 10 }, (_, i) => [300 + 34 * (1 - i / 9), 55 + (190 * i) / 9]);
    const client = await Client.canvas(url);
    [one, ellipse(200), slash, ellipse(420)].forEach((points, i) => client.stroke(`s${i}`, italic(points)));
    const last = client.stroke('s4', italic(ellipse(540)));
    const atPenUp = await client.predictionAfter(last);
    expect(atPenUp.text).toBe('10100');
    const afterPause = await client.next((m) => m.type === 'prediction' && m.seq > atPenUp.seq);
    expect(afterPause.type === 'prediction' && afterPause.text).toBe('10/00');
    client.close();
  });

  it('changes the reading on undo, redo, erase and clear', async () => {
    const client = await Client.canvas(url);
    client.stroke('a', one);
    client.stroke('b', ellipse(200));
    const last = client.stroke('c', seven);
    expect((await client.predictionAfter(last)).text).toBe('107');
    expect((await client.predictionAfter(client.send({ type: 'undo' }))).text).toBe('10');
    expect((await client.predictionAfter(client.send({ type: 'redo' }))).text).toBe('107');
    expect((await client.predictionAfter(client.send({ type: 'erase', strokes: ['a'] }))).text).toBe('07');
    expect((await client.predictionAfter(client.send({ type: 'clear' }))).text).toBe('');
    expect((await client.predictionAfter(client.send({ type: 'undo' }))).text).toBe('07');
    client.close();
  });

  it('answers every bad message with an error, changes nothing, and keeps this and other sessions going', async () => {
    const other = await Client.canvas(url);
    const client = await Client.canvas(url);
    const before = client.stroke('a', one);
    expect((await client.predictionAfter(before)).text).toBe('1');
    const errors = client.messages.filter((m) => m.type === 'error').length;
    client.raw('{not json');
    client.raw('[1, 2]');
    client.raw(JSON.stringify({ type: 'shout' }));
    client.raw(Buffer.from([0, 1, 2, 3]));
    const checks: [number, ErrorCode][] = [
      [client.send({ type: 'stroke-points', stroke: 'nope', points: [[1, 2, 3]] }), ErrorCode.UnknownStroke],
      [client.send({ type: 'stroke-begin', stroke: 'far', point: [1e9, 5, 0] }), ErrorCode.OutOfCanvas],
      [client.send({ type: 'stroke-begin', stroke: 'a', point: [5, 5, 0] }), ErrorCode.DuplicateStroke],
      [client.send({ type: 'stroke-begin', stroke: 'x', point: ['1', 2] }), ErrorCode.Invalid],
      [client.send({ type: 'hello', version: PROTOCOL_VERSION, mode: 'canvas', canvas: { width: 1, height: 1 } }), ErrorCode.HelloFirst],
    ];
    for (const [seq, code] of checks) expect((await client.errorAfter(seq)).code).toBe(code);
    // Messages are answered in order, so the four raw ones were answered before the numbered ones.
    const codes = client.messages
      .filter((m) => m.type === 'error')
      .slice(errors, errors + 4)
      .map((m) => (m as { code: string }).code);
    expect(codes).toEqual([ErrorCode.Malformed, ErrorCode.Malformed, ErrorCode.UnknownType, ErrorCode.Unsupported]);
    // Nothing above changed the canvas: one more stroke reads as the number it makes.
    expect((await client.predictionAfter(client.stroke('b', ellipse(200)))).text).toBe('10');
    expect((await other.predictionAfter(other.stroke('z', seven))).text).toBe('7');
    client.close();
    other.close();
  });

  it('resumes a dropped session: the canvas is kept and replayed messages are not applied twice', async () => {
    const first = await Client.canvas(url);
    first.stroke('a', one);
    const acked = first.stroke('b', ellipse(200));
    expect((await first.predictionAfter(acked)).text).toBe('10');
    // The connection drops while the 7 is being written: its last messages may or may not have arrived.
    const unsent = first.seq;
    first.socket.terminate();
    await first.closed;
    const second = await Client.canvas(url, first.ready.resumeToken, unsent);
    expect(second.ready).toMatchObject({ resumed: true, ack: acked, session: first.ready.session });
    // The client replays everything after ack (here: nothing was lost), then goes on.
    const last = second.stroke('c', seven);
    expect((await second.predictionAfter(last)).text).toBe('107');
    // A replay of a message the server already applied changes nothing.
    second.socket.send(JSON.stringify({ type: 'erase', strokes: ['a'], seq: acked }));
    expect((await second.predictionAfter(second.send({ type: 'redo' }))).text).toBe('107');

    // A reconnect before the server has seen the old connection drop takes the canvas over.
    const third = await Client.canvas(url, second.ready.resumeToken, second.seq);
    expect(third.ready.resumed).toBe(true);
    expect((await second.closed).code).toBe(1006);
    expect((await third.predictionAfter(third.send({ type: 'undo' }))).text).toBe('10');
    // An unknown token starts a fresh canvas.
    const fresh = await Client.canvas(url, 'no-such-token');
    expect(fresh.ready.resumed).toBe(false);
    third.close();
    fresh.close();
  });

  it('never takes numbered messages past one it dropped for the rate: it says where to resend from, and a paced resend reads it all', async () => {
    const strict = await startTestServer(pool, { messagesPerSecond: 20 });
    try {
      const client = await Client.connect(strict.wsUrl);
      client.raw(JSON.stringify({ type: 'hello', version: PROTOCOL_VERSION, mode: 'canvas', canvas: { width: 800, height: 300 }, firstSeq: 1 }));
      await client.next((m) => m.type === 'ready');
      // "107" as a pen sends it, numbered from 1: far more messages than 20 in a burst.
      const log: Record<string, unknown>[] = [];
      let t = 0;
      for (const [id, points] of [
        ['a', one],
        ['b', ellipse(200)],
        ['c', seven],
      ] as const) {
        log.push({ type: 'stroke-begin', stroke: id, point: [...points[0], (t += 16)] });
        for (const point of points.slice(1)) log.push({ type: 'stroke-points', stroke: id, points: [[...point, (t += 16)]] });
        log.push({ type: 'stroke-end', stroke: id });
      }
      log.forEach((message, i) => client.raw(JSON.stringify({ ...message, seq: i + 1 })));
      const dropped = await client.next((m) => m.type === 'error' && m.code === ErrorCode.RateLimited);
      const resendFrom = (dropped as { resendFrom?: number }).resendFrom!;
      expect(resendFrom).toBeGreaterThan(1);
      expect(resendFrom).toBeLessThanOrEqual(log.length);
      // Later messages that got through the rate were refused, not applied out of order.
      await new Promise((resolve) => setTimeout(resolve, 1200));
      const refused = client.messages.filter((m) => m.type === 'error' && m.code === ErrorCode.OutOfOrder);
      expect(refused.every((m) => (m as { resendFrom?: number }).resendFrom === resendFrom)).toBe(true);
      // Resent from there at 10 a second: every message taken once, in order.
      for (let seq = resendFrom; seq <= log.length; seq++) {
        client.raw(JSON.stringify({ ...log[seq - 1], seq }));
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect((await client.predictionAfter(log.length)).text).toBe('107');
      client.close();
    } finally {
      await strict.close();
    }
  });

  it('refuses too many strokes with an error while the canvas stays as it was', async () => {
    const client = await Client.canvas(url);
    let seq = 0;
    for (let i = 0; i < config.maxStrokes; i++)
      seq = client.stroke(`s${i}`, [
        [20 + i * 30, 100],
        [22 + i * 30, 140],
      ]);
    await client.predictionAfter(seq);
    const refused = client.send({ type: 'stroke-begin', stroke: 'one-too-many', point: [700, 100, 0] });
    expect((await client.errorAfter(refused)).code).toBe(ErrorCode.TooManyStrokes);
    expect((await client.predictionAfter(client.send({ type: 'clear' }))).text).toBe('');
    client.close();
  });

  it('closes a connection that says the wrong protocol version (1008) or sends an oversized message (1009)', async () => {
    const old = await Client.connect(url);
    old.send({ type: 'hello', version: PROTOCOL_VERSION + 1, mode: 'canvas', canvas: { width: 800, height: 300 } });
    expect((await old.next((m) => m.type === 'error')).type === 'error' && (old.messages[0] as { code: string }).code).toBe(ErrorCode.WrongVersion);
    expect(await old.closed).toEqual(CloseReason.WrongVersion);
    const big = await Client.canvas(url);
    big.raw('x'.repeat(config.wsMaxMessageBytes + 1));
    expect((await big.closed).code).toBe(CloseReason.TooBig.code);
  });

  it('answers 1013 (try later) past the session limit', async () => {
    const held = await Promise.all(Array.from({ length: config.maxSessions }, () => Client.connect(url)));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const extra = await Client.connect(url);
    expect(await extra.closed).toEqual(CloseReason.ServerFull);
    for (const client of held) client.close();
    await Promise.all(held.map((c) => c.closed));
  });
});

/** A photographed number as a camera would send it: JPEG, 640x480. */
async function cameraFrame(seed: number): Promise<Buffer> {
  const image = await composeNumber(await loadMnist('test'), seededRandom(seed), SETS.photo);
  return (await asCameraFrame(image)).jpeg;
}

describe('camera sessions', () => {
  async function camera(): Promise<Client> {
    const client = await Client.connect(url);
    client.send({ type: 'hello', version: PROTOCOL_VERSION, mode: 'camera' });
    await client.next((m) => m.type === 'ready');
    return client;
  }

  it('reads frames and says which frame each prediction read', async () => {
    const client = await camera();
    const jpeg = await cameraFrame(41);
    const expected = (await pool.recognizeImage(Uint8Array.from(jpeg))).result.text;
    client.raw(Buffer.from(encodeFrame(7, jpeg)));
    const prediction = await client.next((m) => m.type === 'prediction');
    expect(prediction).toMatchObject({ type: 'prediction', frame: 7, dropped: 0, text: expected });
    client.close();
  });

  it('never queues a flood of frames: each is read or dropped, and the newest is read', async () => {
    const client = await camera();
    const frames = await Promise.all([42, 43, 44].map(cameraFrame));
    const count = 24;
    for (let i = 1; i <= count; i++) client.raw(Buffer.from(encodeFrame(i, frames[i % 3])));
    await client.next((m) => m.type === 'prediction' && m.frame === count);
    const predictions = client.messages.filter((m): m is Extract<ServerMessage, { type: 'prediction' }> => m.type === 'prediction');
    expect(predictions.length).toBeLessThan(count);
    expect(predictions.length + predictions.reduce((sum, p) => sum + (p.dropped ?? 0), 0)).toBe(count);
    const order = predictions.map((p) => p.frame!);
    expect(order).toEqual([...order].sort((a, b) => a - b));
    const dropped = (await main.metrics.droppedFrames.get()).values[0]?.value ?? 0;
    expect(dropped).toBeGreaterThanOrEqual(count - predictions.length);
    client.close();
  });

  it('answers a broken frame with an error for that frame and reads the next one', async () => {
    const client = await camera();
    client.raw(Buffer.from(encodeFrame(1, new TextEncoder().encode('this is no jpeg'))));
    expect(await client.next((m) => m.type === 'error')).toMatchObject({ code: ErrorCode.UnsupportedImage, frame: 1 });
    client.raw(Buffer.from([1, 2]));
    expect(await client.next((m) => m.type === 'error' && m.code === ErrorCode.BadFrame)).toBeTruthy();
    const strokeSeq = client.send({ type: 'stroke-begin', stroke: 'a', point: [1, 1, 0] });
    expect((await client.errorAfter(strokeSeq)).code).toBe(ErrorCode.Unsupported);
    client.raw(Buffer.from(encodeFrame(2, await cameraFrame(45))));
    expect(await client.next((m) => m.type === 'prediction')).toMatchObject({ frame: 2 });
    client.close();
  });
});

describe('timeouts', () => {
  let quick: TestServer;
  let quickUrl: string;

  beforeAll(async () => {
    quick = await startTestServer(pool, { ...config, helloTimeoutMs: 150, heartbeatMs: 100, idleTimeoutMs: 400 });
    quickUrl = quick.wsUrl;
  });

  afterAll(async () => {
    await quick.close();
  });

  function closeOf(socket: WebSocket): Promise<{ code: number; reason: string }> {
    return new Promise((resolve) => socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  it('closes a connection that never says hello', async () => {
    const socket = new WebSocket(quickUrl);
    expect(await closeOf(socket)).toEqual(CloseReason.HelloTimeout);
  });

  it('closes a session that goes silent', async () => {
    const socket = new WebSocket(quickUrl);
    await once(socket, 'open');
    socket.send(JSON.stringify({ type: 'hello', version: PROTOCOL_VERSION, mode: 'canvas', canvas: { width: 100, height: 100 } }));
    expect(await closeOf(socket)).toEqual(CloseReason.IdleTimeout);
  });

  it('drops a connection that stops answering pings', async () => {
    const socket = new WebSocket(quickUrl, { autoPong: false });
    await once(socket, 'open');
    socket.send(JSON.stringify({ type: 'hello', version: PROTOCOL_VERSION, mode: 'canvas', canvas: { width: 100, height: 100 } }));
    // Terminated without a close frame: the client sees 1006.
    expect((await closeOf(socket)).code).toBe(1006);
  });
});
