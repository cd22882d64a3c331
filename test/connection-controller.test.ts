import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { PROTOCOL_LIMITS, PROTOCOL_VERSION, type Point } from '../shared/protocol.js';
import { ConnectionController, POINTS_BATCH_MS } from '../client/src/connection-controller.js';

/**
 * The page's connection to a stand-in for the far end: a WebSocket server that answers the hello
 * as the real one does and keeps every message it is sent, so what goes over the wire is seen.
 */
let server: WebSocketServer;
let received: Record<string, unknown>[];
let controller: ConnectionController;

const host: ReactiveControllerHost = {
  addController: (_: ReactiveController) => {},
  removeController: (_: ReactiveController) => {},
  requestUpdate: () => {},
  updateComplete: Promise.resolve(true),
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(condition: () => boolean): Promise<void> {
  for (let waited = 0; !condition(); waited += 5) {
    if (waited > 5000) throw new Error('waited 5 s in vain');
    await sleep(5);
  }
}

beforeEach(async () => {
  // The page's WebSocket is the browser's; in Node (20) the ws package's plays its part.
  (globalThis as { WebSocket?: unknown }).WebSocket = WebSocket;
  received = [];
  server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await once(server, 'listening');
  server.on('connection', (socket) => {
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as Record<string, unknown>;
      received.push(message);
      if (message.type === 'hello')
        socket.send(
          JSON.stringify({
            type: 'ready',
            version: PROTOCOL_VERSION,
            session: 's',
            resumeToken: 't',
            resumed: false,
            limits: { maxStrokes: 500, maxPointsPerStroke: 4000, maxPointsPerCanvas: 200_000, maxMessageBytes: 65_536, messagesPerSecond: 240 },
          }),
        );
    });
  });
  const { port } = server.address() as AddressInfo;
  controller = new ConnectionController(host, `ws://127.0.0.1:${port}`, 'canvas', () => ({ width: 800, height: 300 }), false);
  controller.start();
  await until(() => controller.connected);
  // The session's first pump (what was written before it opened: nothing here) runs on a timer
  // set when it opened; a later one fires after it, and from then on messages go out as written.
  await sleep(10);
});

afterEach(async () => {
  controller.stop();
  for (const client of server.clients) client.terminate();
  server.close();
  await once(server, 'close');
});

const points = (from: number, count: number): Point[] => Array.from({ length: count }, (_, i) => [from + i, 100, (from + i) * 16]);
const sent = (type: string) => received.filter((message) => message.type === type);

describe('the page sending pen strokes', () => {
  it("sends a moving pen's points together, a batch at a time, and a stroke's end with what waits before it", async () => {
    controller.send({ type: 'stroke-begin', stroke: 1, point: [0, 100, 0] });
    for (let i = 1; i <= 10; i++) controller.send({ type: 'stroke-points', stroke: 1, points: points(i, 1) });
    // The batch waits: not counted as "catching up".
    expect(controller.pending).toBe(0);
    await until(() => sent('stroke-points').length === 1);
    expect(sent('stroke-points')[0].points).toEqual(points(1, 10));

    await sleep(2 * POINTS_BATCH_MS);
    for (let i = 11; i <= 13; i++) controller.send({ type: 'stroke-points', stroke: 1, points: points(i, 1) });
    controller.send({ type: 'stroke-end', stroke: 1 });
    await until(() => sent('stroke-end').length === 1);
    expect(sent('stroke-points').map((message) => message.points)).toEqual([points(1, 10), points(11, 3)]);
    // Every message once, in order, numbered without gaps: the server's acks and replays count on it.
    expect(received.filter((message) => message.type !== 'hello').map((message) => [message.type, message.seq])).toEqual([
      ['stroke-begin', 1],
      ['stroke-points', 2],
      ['stroke-points', 3],
      ['stroke-end', 4],
    ]);
    expect(controller.pending).toBe(0);
  });

  it("never joins points past one message's limit, nor two strokes' points", async () => {
    const limit = PROTOCOL_LIMITS.maxPointsPerMessage;
    controller.send({ type: 'stroke-begin', stroke: 1, point: [0, 100, 0] });
    controller.send({ type: 'stroke-points', stroke: 1, points: points(1, limit - 1) });
    controller.send({ type: 'stroke-points', stroke: 1, points: points(limit, 2) });
    controller.send({ type: 'stroke-end', stroke: 1 });
    controller.send({ type: 'stroke-begin', stroke: 2, point: [0, 200, 0] });
    controller.send({ type: 'stroke-points', stroke: 2, points: points(1, 1) });
    controller.send({ type: 'stroke-end', stroke: 2 });
    await until(() => sent('stroke-end').length === 2);
    expect(sent('stroke-points').map((message) => [message.stroke, (message.points as Point[]).length])).toEqual([
      [1, limit - 1],
      [1, 2],
      [2, 1],
    ]);
  });
});
