/**
 * Canvases outlive the server process: the real server is killed with SIGKILL (no shutdown, as a
 * crash would) and started again on the same store, and the client resumes with nothing lost.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION } from '../shared/protocol.js';
import { CanvasStore } from '../server/store/canvas-store.js';
import { StrokeBoard } from '../shared/stroke-board.js';
import { Client, ellipse, one, seven } from './support/protocol-client.js';
import { startServerProcess, type ServerProcess } from './support/server-process.js';

const running: ServerProcess[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((server) => server.stop()));
});

async function canvasHello(url: string, options: { resume?: string; firstSeq: number }): Promise<Client> {
  const client = await Client.connect(url);
  client.seq = options.firstSeq - 1;
  client.raw(
    JSON.stringify({
      type: 'hello',
      version: PROTOCOL_VERSION,
      mode: 'canvas',
      canvas: { width: 800, height: 300 },
      firstSeq: options.firstSeq,
      ...(options.resume ? { resume: options.resume } : {}),
    }),
  );
  await client.next((m) => m.type === 'ready');
  return client;
}

describe('restarts', () => {
  it('resumes a canvas after kill -9: the saved strokes come back, and the client replays what came after', async () => {
    const first = await startServerProcess();
    running.push(first);
    const wsUrl = (server: ServerProcess) => `${server.baseUrl.replace(/^http/, 'ws')}/ws`;
    const before = await canvasHello(wsUrl(first), { firstSeq: 1 });
    before.stroke('a', one);
    const acked = before.stroke('b', ellipse(200));
    expect((await before.predictionAfter(acked)).text).toBe('10');
    // Saved a moment after the change; then the process dies without a word.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await first.kill();

    const second = await startServerProcess({ CANVAS_STORE: first.canvasStore });
    running.push(second);
    const after = await canvasHello(wsUrl(second), { resume: before.ready.resumeToken, firstSeq: 1 });
    expect(after.ready).toMatchObject({ resumed: true, ack: acked, session: before.ready.session });
    after.seq = acked;
    const last = after.stroke('c', seven);
    expect((await after.predictionAfter(last)).text).toBe('107');
    after.close();
  });

  it('keeps packed strokes exactly, forgets canvases past their time, and keeps at most its count', () => {
    const store = new CanvasStore({ path: ':memory:', keepMs: 60_000, maxCanvases: 2 });
    const board = new StrokeBoard(800, 300, { maxStrokes: 10, maxPointsPerStroke: 100, maxPointsPerCanvas: 1000, maxHistory: 10 });
    board.begin('a', [1.5, 2.25, 1_700_000_000_000]);
    board.append('a', [
      [3, 4, 1_700_000_000_016],
      [5, 6],
    ]);
    board.end('a');
    board.begin(7, [10, 20, 1_700_000_000_100]);
    const saved = { session: 's', width: 800, height: 300, lastSeq: 12, strokes: board.exportStrokes() };
    store.save('t1', saved);
    const loaded = store.load('t1')!;
    expect(loaded.lastSeq).toBe(12);
    const restored = StrokeBoard.fromStrokes(800, 300, { maxStrokes: 10, maxPointsPerStroke: 100, maxPointsPerCanvas: 1000, maxHistory: 10 }, loaded.strokes);
    expect(restored.list().map((s) => [s.id, s.points])).toEqual(board.list().map((s) => [s.id, s.points]));
    // The stroke being drawn is still open: it can be continued and ended.
    restored.append(7, [[11, 21]]);
    restored.end(7);
    store.save('t2', saved);
    store.save('t3', saved);
    expect(store.prune()).toBe(1);
    expect(store.load('t1')).toBeUndefined();
    expect(store.load('t3')).toBeDefined();
    store.close();
  });
});
