/** A real WebSocket client of the protocol, for tests; every server message is checked as the web client checks it. */
import WebSocket from 'ws';
import { parseServerMessage, PROTOCOL_VERSION, type ServerMessage } from '../../shared/protocol.js';

/** A real client: every server message is checked by the shared protocol as the web client will. */
export class Client {
  readonly messages: ServerMessage[] = [];
  private waiters: { match: (m: ServerMessage) => boolean; resolve: (m: ServerMessage) => void }[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  seq = 0;
  /** Numbered messages sent, by seq, to send again from where the server asks (resendFrom). */
  private readonly sent = new Map<number, string>();
  private resending: number | undefined;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      const parsed = parseServerMessage(data.toString());
      if (!parsed.ok) throw new Error(`server sent a message outside the protocol: ${parsed.message}`);
      this.messages.push(parsed.message);
      if (parsed.message.type === 'error' && parsed.message.resendFrom !== undefined) this.resendFrom(parsed.message.resendFrom);
      this.waiters = this.waiters.filter((w) => (w.match(parsed.message) ? (w.resolve(parsed.message), false) : true));
    });
    this.closed = new Promise((resolve) => socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  /** `localAddress`: the loopback address to connect from (127.0.0.2 and so on), to play another client address. */
  static async connect(url: string, options: { localAddress?: string; origin?: string } = {}): Promise<Client> {
    const socket = new WebSocket(url, options);
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    return new Client(socket);
  }

  static async canvas(
    url: string,
    resume?: string,
    firstSeq = 0,
    options: { localAddress?: string; canvas?: { width: number; height: number } } = {},
  ): Promise<Client> {
    const client = await Client.connect(url, options);
    client.seq = firstSeq;
    client.send({
      type: 'hello',
      version: PROTOCOL_VERSION,
      mode: 'canvas',
      canvas: options.canvas ?? { width: 800, height: 300 },
      ...(resume ? { resume } : {}),
    });
    await client.next((m) => m.type === 'ready');
    return client;
  }

  get ready(): Extract<ServerMessage, { type: 'ready' }> {
    return this.messages.find((m) => m.type === 'ready') as Extract<ServerMessage, { type: 'ready' }>;
  }

  /** Sends a message numbered with `seq`; returns the number. */
  send(message: Record<string, unknown>): number {
    const seq = ++this.seq;
    const text = JSON.stringify({ ...message, seq });
    this.sent.set(seq, text);
    if (this.sent.size > 20_000) this.sent.delete(this.sent.keys().next().value as number);
    this.socket.send(text);
    return seq;
  }

  /**
   * What every client of the protocol does when the server dropped numbered messages (rate limit)
   * and says where to resend from: after a pause, send them again in order, at a steady pace.
   */
  private resendFrom(from: number): void {
    if (this.resending !== undefined && this.resending <= from) return;
    this.resending = from;
    const pending = [...this.sent.entries()].filter(([seq]) => seq >= from).map(([, text]) => text);
    let next = 0;
    const tick = () => {
      for (let i = 0; i < 20 && next < pending.length && this.socket.readyState === WebSocket.OPEN; i++) this.socket.send(pending[next++]);
      if (next < pending.length && this.socket.readyState === WebSocket.OPEN) setTimeout(tick, 200);
      else this.resending = undefined;
    };
    setTimeout(tick, 500);
  }

  raw(data: string | Buffer): void {
    this.socket.send(data);
  }

  next(match: (m: ServerMessage) => boolean): Promise<ServerMessage> {
    const seen = this.messages.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => this.waiters.push({ match, resolve }));
  }

  /** The prediction that includes the effect of the message numbered `seq`. */
  predictionAfter(seq: number): Promise<Extract<ServerMessage, { type: 'prediction' }>> {
    return this.next((m) => m.type === 'prediction' && (m.ack ?? 0) >= seq) as Promise<Extract<ServerMessage, { type: 'prediction' }>>;
  }

  errorAfter(seq: number): Promise<Extract<ServerMessage, { type: 'error' }>> {
    return this.next((m) => m.type === 'error' && m.seq === seq) as Promise<Extract<ServerMessage, { type: 'error' }>>;
  }

  /** Writes a stroke the way a pen does: begin, points a few at a time, end. Returns the last seq. */
  stroke(id: string, points: [number, number][], options: { end?: boolean } = {}): number {
    let t = Date.now();
    let seq = this.send({ type: 'stroke-begin', stroke: id, point: [...points[0], t] });
    for (let i = 1; i < points.length; i += 2) {
      seq = this.send({ type: 'stroke-points', stroke: id, points: points.slice(i, i + 2).map(([x, y]) => [x, y, (t += 16)]) });
    }
    if (options.end !== false) seq = this.send({ type: 'stroke-end', stroke: id });
    return seq;
  }

  close(): void {
    this.socket.close();
  }
}

/** Strokes of "107" on an 800x300 canvas. */
export const ellipse = (cx: number): [number, number][] =>
  Array.from({ length: 33 }, (_, i) => [cx + 45 * Math.sin((i / 32) * 2 * Math.PI), 150 - 90 * Math.cos((i / 32) * 2 * Math.PI)]);
export const one: [number, number][] = [
  [80, 60],
  [81, 105],
  [82, 150],
  [83, 195],
  [84, 240],
];
export const seven: [number, number][] = [
  [285, 65],
  [330, 64],
  [375, 62],
  [360, 105],
  [345, 150],
  [335, 195],
  [325, 240],
];
