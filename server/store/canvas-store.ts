/**
 * Resumable canvases kept on disk, so a restart (a deploy, a crash, kill -9) does not forget what
 * people wrote: SQLite through better-sqlite3, an embedded database that needs no server and can
 * later hold accounts and history too. A canvas is saved a moment after it changes and when its
 * connection drops; what was written after the last save is still in the client's log, which it
 * replays from the `ack` it gets back, so nothing is lost.
 *
 * The store keeps each canvas's strokes (packed points) and the last client `seq` they include;
 * undo history is not kept across a restart.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { PackedStroke } from '../../shared/stroke-board.js';
import type { StrokeId } from '../../shared/protocol.js';

export interface StoredCanvas {
  /** The session id the canvas had, kept so the client sees the same session after a restart. */
  session: string;
  width: number;
  height: number;
  lastSeq: number | undefined;
  strokes: { id: StrokeId; open: boolean; stroke: PackedStroke }[];
}

export interface CanvasStoreOptions {
  /** The database file; ':memory:' keeps nothing across processes (tests). */
  path: string;
  /** Canvases not saved for this long are forgotten. */
  keepMs: number;
  /** Canvases kept at most; the least recently saved go first. */
  maxCanvases: number;
}

/** One canvas as bytes: a small JSON header, then every stroke's packed points. */
function encode(canvas: StoredCanvas): Buffer {
  const header = JSON.stringify({
    session: canvas.session,
    width: canvas.width,
    height: canvas.height,
    lastSeq: canvas.lastSeq ?? null,
    strokes: canvas.strokes.map(({ id, open, stroke }) => ({ id, open, t0: Number.isNaN(stroke.t0) ? null : stroke.t0, values: stroke.xyt.length })),
  });
  const headerBytes = Buffer.from(header, 'utf8');
  const points = canvas.strokes.reduce((n, s) => n + s.stroke.xyt.length, 0);
  const out = Buffer.alloc(4 + headerBytes.length + points * 4);
  out.writeUInt32LE(headerBytes.length, 0);
  headerBytes.copy(out, 4);
  let at = 4 + headerBytes.length;
  for (const { stroke } of canvas.strokes) {
    Buffer.from(stroke.xyt.buffer, stroke.xyt.byteOffset, stroke.xyt.byteLength).copy(out, at);
    at += stroke.xyt.byteLength;
  }
  return out;
}

interface Header {
  session: string;
  width: number;
  height: number;
  lastSeq: number | null;
  strokes: { id: StrokeId; open: boolean; t0: number | null; values: number }[];
}

function decode(bytes: Buffer): StoredCanvas {
  const headerLength = bytes.readUInt32LE(0);
  const header = JSON.parse(bytes.subarray(4, 4 + headerLength).toString('utf8')) as Header;
  let at = 4 + headerLength;
  const strokes = header.strokes.map(({ id, open, t0, values }) => {
    // Copied out: a Float32Array needs 4-byte alignment the blob's offset may not have.
    const xyt = new Float32Array(values);
    new Uint8Array(xyt.buffer).set(bytes.subarray(at, at + values * 4));
    at += values * 4;
    return { id, open, stroke: { t0: t0 ?? Number.NaN, xyt } };
  });
  return { session: header.session, width: header.width, height: header.height, lastSeq: header.lastSeq ?? undefined, strokes };
}

export class CanvasStore {
  private readonly db: Database.Database;
  private readonly statements: {
    save: Database.Statement<[string, Buffer, number]>;
    load: Database.Statement<[string, number]>;
    remove: Database.Statement<[string]>;
    prune: Database.Statement<[number, number]>;
  };

  constructor(private readonly options: CanvasStoreOptions) {
    if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
    this.db = new Database(options.path);
    // WAL: a save does not wait for readers, and a crash mid-write leaves the last saved state.
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec('CREATE TABLE IF NOT EXISTS canvases (token TEXT PRIMARY KEY, state BLOB NOT NULL, saved INTEGER NOT NULL)');
    this.db.exec('CREATE INDEX IF NOT EXISTS canvases_saved ON canvases (saved)');
    this.statements = {
      save: this.db.prepare(
        'INSERT INTO canvases (token, state, saved) VALUES (?, ?, ?) ON CONFLICT (token) DO UPDATE SET state = excluded.state, saved = excluded.saved',
      ),
      load: this.db.prepare('SELECT state FROM canvases WHERE token = ? AND saved >= ?'),
      remove: this.db.prepare('DELETE FROM canvases WHERE token = ?'),
      prune: this.db.prepare('DELETE FROM canvases WHERE saved < ? OR token IN (SELECT token FROM canvases ORDER BY saved DESC, rowid DESC LIMIT -1 OFFSET ?)'),
    };
    this.prune();
  }

  save(token: string, canvas: StoredCanvas): void {
    this.statements.save.run(token, encode(canvas), Date.now());
  }

  /** The canvas saved under `token`, unless it is older than the store keeps. */
  load(token: string): StoredCanvas | undefined {
    const row = this.statements.load.get(token, Date.now() - this.options.keepMs) as { state: Buffer } | undefined;
    return row ? decode(row.state) : undefined;
  }

  /** Forgets a canvas (its token was handed on, or its person cleared it away). */
  remove(token: string): void {
    this.statements.remove.run(token);
  }

  /** Forgets canvases past their time, and the oldest past the count. */
  prune(): number {
    return this.statements.prune.run(Date.now() - this.options.keepMs, this.options.maxCanvases).changes;
  }

  close(): void {
    this.db.close();
  }
}
