import { describe, expect, it } from 'vitest';
import { cv } from '../server/ml/opencv.js';
import { binarize, inkPolarity, type GrayImage8 } from '../server/recognition/binarize.js';
import { findComponents } from '../server/recognition/components.js';
import { findPieces } from '../server/recognition/recognize.js';

const WIDTH = 640,
  HEIGHT = 480;

/** A frame of paper at 215, light falling off to the right, with what `draw` paints on it. */
function frame(draw: (mat: InstanceType<typeof cv.Mat>) => void): GrayImage8 {
  const mat = new cv.Mat(HEIGHT, WIDTH, cv.CV_8U, new cv.Scalar(215));
  draw(mat);
  const data = Uint8Array.from(mat.data);
  mat.delete();
  for (let y = 0; y < HEIGHT; y++) for (let x = 0; x < WIDTH; x++) data[y * WIDTH + x] = Math.round(data[y * WIDTH + x] * (1 - (0.2 * x) / WIDTH));
  return { data, width: WIDTH, height: HEIGHT };
}

/** A smiling face: a dark disc with light eyes and a light mouth. */
function face(mat: InstanceType<typeof cv.Mat>, x: number, y: number, r: number) {
  cv.circle(mat, new cv.Point(x, y), r, new cv.Scalar(70), -1, cv.LINE_AA);
  for (const side of [-1, 1]) cv.circle(mat, new cv.Point(x + side * 0.35 * r, y - 0.3 * r), 0.12 * r, new cv.Scalar(215), -1, cv.LINE_AA);
  cv.ellipse(mat, new cv.Point(x, y - 0.1 * r), new cv.Size(0.5 * r, 0.5 * r), 0, 20, 160, new cv.Scalar(215), Math.max(2, 0.1 * r), cv.LINE_AA);
}

/** A bold handwritten-looking 0: a tall ring, or filled shut when `blotted`. */
function zero(mat: InstanceType<typeof cv.Mat>, x: number, y: number, blotted = false) {
  cv.ellipse(mat, new cv.Point(x, y), new cv.Size(28, 40), 10, 0, 360, new cv.Scalar(40), blotted ? -1 : 14, cv.LINE_AA);
}

const inkComponents = (image: GrayImage8) => {
  const ink = binarize(image);
  return findComponents(ink.mask, ink.width, ink.height).components.filter((c) => c.area > 20);
};

describe('pictures are not writing', () => {
  it('leaves no ink of a face drawn on the paper, where its eyes and mouth would read as an 8', () => {
    for (const r of [40, 70, 110]) expect(inkComponents(frame((mat) => face(mat, 320, 240, r)))).toEqual([]);
  });

  it('leaves no ink of a solid block or disc cut by the frame', () => {
    const image = frame((mat) => {
      cv.circle(mat, new cv.Point(0, 400), 90, new cv.Scalar(60), -1, cv.LINE_AA);
      cv.rectangle(mat, new cv.Point(380, 100), new cv.Point(560, 240), new cv.Scalar(90), -1, cv.LINE_AA);
    });
    expect(inkComponents(image)).toEqual([]);
  });

  it('keeps a digit blotted shut when it stands in a line of writing', () => {
    const image = frame((mat) => {
      zero(mat, 200, 240);
      zero(mat, 290, 240, true);
      zero(mat, 380, 240);
    });
    const pieces = inkComponents(image);
    expect(pieces).toHaveLength(3);
    expect(pieces.some((c) => c.x > 250 && c.x + c.width < 335)).toBe(true);
  });

  it('leaves no ink of a drawn ring, but keeps what is written inside one', () => {
    expect(inkComponents(frame((mat) => cv.circle(mat, new cv.Point(300, 220), 60, new cv.Scalar(60), 8, cv.LINE_AA)))).toEqual([]);
    const circled = inkComponents(
      frame((mat) => {
        cv.circle(mat, new cv.Point(320, 240), 110, new cv.Scalar(60), 6, cv.LINE_AA);
        zero(mat, 280, 240);
        zero(mat, 360, 240);
      }),
    );
    expect(circled).toHaveLength(2);
    expect(circled.every((c) => c.height < 100)).toBe(true);
  });

  it('leaves no ink of a ring seen at a slant, nor of one the frame cuts open', () => {
    expect(inkComponents(frame((mat) => cv.ellipse(mat, new cv.Point(300, 220), new cv.Size(80, 70), 25, 0, 360, new cv.Scalar(60), 14, cv.LINE_AA)))).toEqual(
      [],
    );
    expect(inkComponents(frame((mat) => cv.circle(mat, new cv.Point(320, 440), 110, new cv.Scalar(60), 20, cv.LINE_AA)))).toEqual([]);
  });

  it('leaves no ink of rings drawn over each other', () => {
    for (const [x, y] of [
      [440, 240],
      [400, 150],
    ]) {
      const image = frame((mat) => {
        cv.circle(mat, new cv.Point(300, 240), 100, new cv.Scalar(60), 16, cv.LINE_AA);
        cv.circle(mat, new cv.Point(x, y), 45, new cv.Scalar(60), 10, cv.LINE_AA);
      });
      expect(inkComponents(image)).toEqual([]);
    }
  });

  it('leaves no ink of rings side by side, or of a ring touching a face, whose ink no one ellipse fits', () => {
    const rings = frame((mat) => {
      cv.circle(mat, new cv.Point(250, 240), 90, new cv.Scalar(60), 14, cv.LINE_AA);
      cv.circle(mat, new cv.Point(390, 230), 80, new cv.Scalar(60), 12, cv.LINE_AA);
    });
    expect(inkComponents(rings)).toEqual([]);
    const ringAndDisc = frame((mat) => {
      cv.circle(mat, new cv.Point(260, 260), 100, new cv.Scalar(50), 16, cv.LINE_AA);
      face(mat, 390, 165, 45);
    });
    expect(inkComponents(ringAndDisc)).toEqual([]);
  });

  it('leaves no ink of a pie (a disc with a wedge cut out, as a test pattern draws)', () => {
    for (const [wedge, r] of [
      [30, 45],
      [100, 80],
    ])
      expect(
        inkComponents(
          frame((mat) => cv.ellipse(mat, new cv.Point(320, 240), new cv.Size(r, r), 0, wedge / 2, 360 - wedge / 2, new cv.Scalar(70), -1, cv.LINE_AA)),
        ),
      ).toEqual([]);
  });

  it('leaves no ink of a solid bar, and keeps a lone 1 written with a wide marker', () => {
    expect(inkComponents(frame((mat) => cv.rectangle(mat, new cv.Point(200, 200), new cv.Point(380, 265), new cv.Scalar(80), -1, cv.LINE_AA)))).toEqual([]);
    // A pen's stroke ends round, however wide.
    expect(inkComponents(frame((mat) => cv.line(mat, new cv.Point(320, 120), new cv.Point(330, 360), new cv.Scalar(40), 56, cv.LINE_AA)))).toHaveLength(1);
  });

  it('keeps a bold 0 that stands alone', () => {
    expect(inkComponents(frame((mat) => zero(mat, 300, 240)))).toHaveLength(1);
  });

  it('keeps a round 0 in a line of writing its own height', () => {
    const image = frame((mat) => {
      zero(mat, 200, 240);
      cv.circle(mat, new cv.Point(290, 240), 36, new cv.Scalar(40), 12, cv.LINE_AA);
      zero(mat, 380, 240);
    });
    expect(inkComponents(image)).toHaveLength(3);
  });

  it('takes a dark picture on light paper for dark on light, though its light eyes skew the frame light', () => {
    expect(inkPolarity(frame((mat) => face(mat, 320, 240, 70)))).toBe('dark-on-light');
    // Light writing on a dark board is still light on dark.
    const board = frame((mat) => zero(mat, 300, 240));
    for (let i = 0; i < board.data.length; i++) board.data[i] = 255 - board.data[i];
    expect(inkPolarity(board)).toBe('light-on-dark');
  });
});

describe('ink the frame cuts', () => {
  const pieces = (image: GrayImage8) => findPieces(binarize(image)).pieces;

  it('reads nothing from a sliver of something beyond the frame that the frame cuts lengthwise', () => {
    // A dark bar mostly beyond the right side: what shows is a stroke-wide sliver, read as a 1 before.
    expect(pieces(frame((mat) => cv.rectangle(mat, new cv.Point(630, 200), new cv.Point(700, 290), new cv.Scalar(60), -1, cv.LINE_AA)))).toEqual([]);
  });

  it('reads a digit that only touches the frame', () => {
    const seven = frame((mat) => {
      cv.line(mat, new cv.Point(280, 1), new cv.Point(350, 1), new cv.Scalar(40), 10, cv.LINE_AA);
      cv.line(mat, new cv.Point(350, 1), new cv.Point(300, 110), new cv.Scalar(40), 10, cv.LINE_AA);
    });
    // Its bar lies along the top of the frame, but the 7 is not thin across.
    expect(pieces(seven)).toHaveLength(1);
  });
});
