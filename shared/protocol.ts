/**
 * The Digit Stream WebSocket protocol, shared by the client and the server: one message union per
 * direction keyed by `type`, the protocol version in the first message (`hello`), close reasons
 * and error codes as constants both sides switch on. Every message that arrives is checked by
 * `parseClientMessage` / `parseServerMessage`, the one boundary where untrusted text becomes a
 * typed message.
 */
import { z } from 'zod';

export const PROTOCOL_VERSION = 1;

/**
 * A camera frame is a binary message: this many bytes of frame number (unsigned, big-endian),
 * then the image (JPEG, WebP or PNG).
 */
export const FRAME_HEADER_BYTES = 4;

export function encodeFrame(frame: number, image: Uint8Array): Uint8Array {
  const message = new Uint8Array(FRAME_HEADER_BYTES + image.byteLength);
  new DataView(message.buffer).setUint32(0, frame >>> 0);
  message.set(image, FRAME_HEADER_BYTES);
  return message;
}

export function decodeFrame(message: Uint8Array): { frame: number; image: Uint8Array } | null {
  if (message.byteLength <= FRAME_HEADER_BYTES) return null;
  return { frame: new DataView(message.buffer, message.byteOffset, message.byteLength).getUint32(0), image: message.subarray(FRAME_HEADER_BYTES) };
}

/** Bounds that hold for every server; a server may announce tighter ones in `ready`. */
export const PROTOCOL_LIMITS = {
  maxStrokeIdLength: 64,
  maxPointsPerMessage: 512,
  maxCanvasSide: 16384,
  maxEraseStrokes: 1000,
} as const;

/** A pen may leave the canvas a little while drawing; far outside it is not writing. */
export function nearCanvas(x: number, y: number, width: number, height: number): boolean {
  return x >= -width && x <= 2 * width && y >= -height && y <= 2 * height;
}

const coordinate = z.number().finite();
/** [x, y] or [x, y, tMs] in canvas units; tMs since any fixed origin. */
export const pointSchema = z.tuple([coordinate, coordinate, coordinate.optional()]);
export type Point = z.infer<typeof pointSchema>;

const strokeId = z.union([z.string().min(1).max(PROTOCOL_LIMITS.maxStrokeIdLength), z.number().int().nonnegative()]);
export type StrokeId = z.infer<typeof strokeId>;
/** Optional client sequence number; predictions acknowledge the last one they include. */
const seq = z.number().int().nonnegative().optional();

export const clientMessageSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('hello'),
    version: z.number().int(),
    mode: z.enum(['canvas', 'camera']),
    /** The token from an earlier `ready`: continue that session (canvas mode) after a dropped connection. */
    resume: z.string().max(128).optional(),
    /**
     * Canvas mode: the `seq` of the first numbered message the client will send if it gets a fresh
     * canvas. Numbered messages are then taken in order from there, so one dropped on the way is
     * noticed even if it was the first.
     */
    firstSeq: z.number().int().nonnegative().optional(),
    /** The drawing surface's size in canvas units (CSS pixels): required for canvas mode. */
    canvas: z
      .object({
        width: z.number().finite().positive().max(PROTOCOL_LIMITS.maxCanvasSide),
        height: z.number().finite().positive().max(PROTOCOL_LIMITS.maxCanvasSide),
      })
      .optional(),
    seq,
  }),
  z.object({ type: z.literal('stroke-begin'), stroke: strokeId, point: pointSchema, seq }),
  z.object({ type: z.literal('stroke-points'), stroke: strokeId, points: z.array(pointSchema).min(1).max(PROTOCOL_LIMITS.maxPointsPerMessage), seq }),
  z.object({ type: z.literal('stroke-end'), stroke: strokeId, seq }),
  /** Takes back the last finished stroke, erase or clear. */
  z.object({ type: z.literal('undo'), seq }),
  z.object({ type: z.literal('redo'), seq }),
  z.object({ type: z.literal('clear'), seq }),
  /** Removes strokes (a scratch-out, the eraser). */
  z.object({ type: z.literal('erase'), strokes: z.array(strokeId).min(1).max(PROTOCOL_LIMITS.maxEraseStrokes), seq }),
]);
export type ClientMessage = z.infer<typeof clientMessageSchema>;
/** What changes a canvas: every client message but hello. */
export type CanvasMessage = Exclude<ClientMessage, { type: 'hello' }>;
export type ClientMessageType = ClientMessage['type'];
export const CLIENT_MESSAGE_TYPES: readonly ClientMessageType[] = ['hello', 'stroke-begin', 'stroke-points', 'stroke-end', 'undo', 'redo', 'clear', 'erase'];

const alternative = z.object({ digit: z.number().int().min(0).max(9), p: z.number() });
const box = z.tuple([z.number(), z.number(), z.number(), z.number()]);
const digit = z.object({
  digit: z.number().int().min(0).max(9),
  confidence: z.number(),
  /** [x, y, width, height] in canvas units (canvas mode) or frame pixels (camera mode). */
  box,
  alternatives: z.array(alternative),
  uncertain: z.boolean(),
  /** Pen input: read from a stroke still being drawn, apart from the rest; it may change once the pen lifts. */
  provisional: z.boolean().optional(),
});
/** A separator read between digits (pen input): '.', '-', '/' or ':'. Unsure ones are flagged and left out of `text`. */
const symbol = z.object({ symbol: z.enum(['.', '-', '/', ':']), confidence: z.number(), box, uncertain: z.boolean() });
/** `text`: the line's digits, with its separators and a space between numbers where the writing shows them. */
const line = z.object({ text: z.string(), box, digits: z.array(digit), symbols: z.array(symbol).optional() });

export const serverMessageSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('ready'),
    version: z.literal(PROTOCOL_VERSION),
    session: z.string(),
    /** Say this in a later hello to continue the session if the connection drops. */
    resumeToken: z.string(),
    /** True when an earlier session was continued: replay the messages numbered after `ack`. */
    resumed: z.boolean(),
    /** The last client `seq` the session applied. */
    ack: z.number().int().optional(),
    limits: z.object({
      maxStrokes: z.number(),
      maxPointsPerStroke: z.number(),
      maxPointsPerCanvas: z.number().optional(),
      maxMessageBytes: z.number(),
      messagesPerSecond: z.number().optional(),
    }),
  }),
  z.object({
    type: z.literal('prediction'),
    /** Increases with every prediction of the session. */
    seq: z.number().int(),
    /** The last client `seq` whose effect this prediction includes, if the client numbers its messages. */
    ack: z.number().int().optional(),
    /** Lines joined with "\n". */
    text: z.string(),
    lines: z.array(line),
    /** Milliseconds the server spent reading. */
    ms: z.number(),
    /** Camera mode: the number of the frame read, and how many frames were skipped since the last prediction. */
    frame: z.number().int().optional(),
    dropped: z.number().int().optional(),
  }),
  z.object({
    type: z.literal('error'),
    code: z.string(),
    message: z.string(),
    /** The client `seq` of the message that caused it, if it had one. */
    seq: z.number().int().optional(),
    /** The camera frame that caused it. */
    frame: z.number().int().optional(),
    /** Canvas mode: numbered messages from this `seq` on were not taken; send them again, in order. */
    resendFrom: z.number().int().optional(),
  }),
]);
export type ServerMessage = z.infer<typeof serverMessageSchema>;
export type PredictionMessage = Extract<ServerMessage, { type: 'prediction' }>;

/** Error codes of `error` messages. The session goes on after any of them unless it is closed. */
export const ErrorCode = {
  /** Not JSON, or not a JSON object. */
  Malformed: 'malformed-message',
  /** A known type with fields that do not fit it. */
  Invalid: 'invalid-message',
  UnknownType: 'unknown-type',
  /** hello with a protocol version this server does not speak (the connection then closes). */
  WrongVersion: 'wrong-version',
  /** Anything before hello, or hello twice. */
  HelloFirst: 'hello-first',
  UnknownStroke: 'unknown-stroke',
  /** A stroke id already in use. */
  DuplicateStroke: 'duplicate-stroke',
  /** Points far outside the canvas announced in hello. */
  OutOfCanvas: 'out-of-canvas',
  TooManyStrokes: 'too-many-strokes',
  TooManyPoints: 'too-many-points',
  /** More messages per second than the server reads from one session; `resendFrom` says where to resend numbered ones from. */
  RateLimited: 'rate-limited',
  /** A numbered message after a gap (one before it was dropped): refused; resend from `resendFrom`. */
  OutOfOrder: 'out-of-order',
  /** Binary messages in canvas mode, or a message that has no meaning in this mode. */
  Unsupported: 'unsupported',
  /** A camera frame that is not an image, or is truncated, or too large in pixels. */
  UnsupportedImage: 'unsupported-image',
  CorruptImage: 'corrupt-image',
  ImageTooLarge: 'image-too-large',
  /** A binary message too short to be a frame. */
  BadFrame: 'bad-frame',
  /** The recognition workers are all busy; the next change will be read. */
  Busy: 'busy',
  Internal: 'internal',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Why the server closes a connection: WebSocket close code and reason text. */
export const CloseReason = {
  Normal: { code: 1000, reason: 'bye' },
  GoingAway: { code: 1001, reason: 'server-shutting-down' },
  /** A frame that breaks the WebSocket protocol itself (the library closes). */
  ProtocolError: { code: 1002, reason: 'protocol-error' },
  /** Text that is not UTF-8 (the library closes). */
  InvalidPayload: { code: 1007, reason: 'invalid-payload' },
  WrongVersion: { code: 1008, reason: 'wrong-version' },
  HelloTimeout: { code: 1008, reason: 'hello-timeout' },
  IdleTimeout: { code: 1008, reason: 'idle-timeout' },
  /** Many times more messages (or pings) than the rate limit, for a whole second: not a person writing. */
  Flooding: { code: 1008, reason: 'message-flood' },
  /** The client let this much of the server's messages pile up unread: it has stopped reading. */
  NotReading: { code: 1008, reason: 'not-reading' },
  TooBig: { code: 1009, reason: 'message-too-big' },
  Internal: { code: 1011, reason: 'internal-error' },
  ServerFull: { code: 1013, reason: 'server-full' },
  /** Too many connections from one address at once (SESSIONS_PER_ADDRESS_MAX). */
  AddressFull: { code: 1013, reason: 'too-many-connections-from-address' },
} as const;

/** A failure carries the message's `seq` when it had a usable one, so the sender can tell which message failed. */
export type Parsed<T> = { ok: true; message: T } | { ok: false; code: ErrorCode; message: string; seq?: number };

function describe(issue: z.core.$ZodIssue): string {
  return `${issue.path.length ? `${issue.path.join('.')}: ` : ''}${issue.message}`;
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false; code: ErrorCode; message: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false, code: ErrorCode.Malformed, message: 'not JSON' };
  }
}

/** The one place where a client's text becomes a typed message, or a clear error. */
export function parseClientMessage(text: string): Parsed<ClientMessage> {
  const json = parseJson(text);
  if (!json.ok) return json;
  const value = json.value;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, code: ErrorCode.Malformed, message: 'a message is a JSON object with a "type"' };
  }
  const { type, seq: rawSeq } = value as { type?: unknown; seq?: unknown };
  const seq = Number.isSafeInteger(rawSeq) && (rawSeq as number) >= 0 ? { seq: rawSeq as number } : {};
  if (!CLIENT_MESSAGE_TYPES.includes(type as ClientMessageType)) {
    return {
      ok: false,
      code: ErrorCode.UnknownType,
      message: `unknown message type ${JSON.stringify(type)?.slice(0, 40)}; expected one of ${CLIENT_MESSAGE_TYPES.join(', ')}`,
      ...seq,
    };
  }
  const parsed = clientMessageSchema.safeParse(value);
  if (!parsed.success) return { ok: false, code: ErrorCode.Invalid, message: `${type}: ${parsed.error.issues.slice(0, 3).map(describe).join('; ')}`, ...seq };
  return { ok: true, message: parsed.data };
}

/** The client's boundary: the server's text as a typed message, or a clear error. */
export function parseServerMessage(text: string): Parsed<ServerMessage> {
  const json = parseJson(text);
  if (!json.ok) return json;
  const parsed = serverMessageSchema.safeParse(json.value);
  if (!parsed.success) return { ok: false, code: ErrorCode.Invalid, message: parsed.error.issues.slice(0, 3).map(describe).join('; ') };
  return { ok: true, message: parsed.data };
}
