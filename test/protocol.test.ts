import { describe, expect, it } from 'vitest';
import { ErrorCode, parseClientMessage, parseServerMessage, PROTOCOL_VERSION } from '../shared/protocol.js';

describe('protocol boundary', () => {
  it('turns valid client text into typed messages', () => {
    const hello = parseClientMessage(JSON.stringify({ type: 'hello', version: PROTOCOL_VERSION, mode: 'canvas', canvas: { width: 800, height: 300 } }));
    expect(hello).toEqual({ ok: true, message: { type: 'hello', version: 1, mode: 'canvas', canvas: { width: 800, height: 300 } } });
    const points = parseClientMessage(
      JSON.stringify({
        type: 'stroke-points',
        stroke: 3,
        points: [
          [1, 2],
          [3, 4, 16],
        ],
        seq: 9,
      }),
    );
    expect(points.ok && points.message).toEqual({
      type: 'stroke-points',
      stroke: 3,
      points: [
        [1, 2],
        [3, 4, 16],
      ],
      seq: 9,
    });
  });

  it('says what is wrong with bad client text, with the seq when there is one', () => {
    expect(parseClientMessage('{')).toMatchObject({ ok: false, code: ErrorCode.Malformed });
    expect(parseClientMessage('"hello"')).toMatchObject({ ok: false, code: ErrorCode.Malformed });
    expect(parseClientMessage(JSON.stringify({ type: 'dance', seq: 4 }))).toMatchObject({ ok: false, code: ErrorCode.UnknownType, seq: 4 });
    const nan = parseClientMessage('{"type": "stroke-begin", "stroke": "a", "point": [1, null], "seq": 5}');
    expect(nan).toMatchObject({ ok: false, code: ErrorCode.Invalid, seq: 5 });
    expect(!nan.ok && nan.message).toMatch(/^stroke-begin: point/);
    const huge = parseClientMessage(JSON.stringify({ type: 'stroke-points', stroke: 'a', points: Array.from({ length: 600 }, () => [1, 1]) }));
    expect(huge).toMatchObject({ ok: false, code: ErrorCode.Invalid });
    expect(parseClientMessage(JSON.stringify({ type: 'hello', version: 1, mode: 'canvas', canvas: { width: -5, height: 10 } }))).toMatchObject({
      ok: false,
      code: ErrorCode.Invalid,
    });
  });

  it('checks the server side too', () => {
    expect(parseServerMessage(JSON.stringify({ type: 'prediction', seq: 1, text: '', lines: [], ms: 0 })).ok).toBe(true);
    expect(parseServerMessage(JSON.stringify({ type: 'prediction', seq: 1 }))).toMatchObject({ ok: false, code: ErrorCode.Invalid });
  });
});
