/**
 * Holds a camera reading steady across frames. A new text replaces the one shown at once when the
 * last `agree` frames read it alike (a new card, or the paper going blank). Frames that disagree are
 * fused: among the last `window` frames with the commonest layout (digits per line) whose digits
 * lie where the newest of them has its digits (the same scene: each box's centre inside the
 * matching box), each digit position takes the digit with the most probability summed over those
 * frames (alternatives included). One blurred or half-turned frame cannot change a digit the others
 * agree on, and a digit misread now and then settles on what most frames saw.
 */
export interface FrameDigit {
  digit: number;
  confidence: number;
  /** [x, y, width, height] in the frame's pixels. */
  box: [number, number, number, number];
  alternatives: { digit: number; p: number }[];
}

export interface FrameReading {
  text: string;
  lines: { digits: FrameDigit[] }[];
}

export class SteadyReading {
  text = '';
  private frames: FrameReading[] = [];

  constructor(
    private readonly agree = 2,
    private readonly window = 5,
  ) {}

  /** Takes the reading of the latest frame; returns the text to show. */
  push(frame: FrameReading): string {
    this.frames.push(frame);
    if (this.frames.length > this.window) this.frames.shift();
    const recent = this.frames.slice(-this.agree);
    if (recent.length === this.agree && recent.every((f) => f.text === frame.text)) {
      this.text = frame.text;
      return this.text;
    }
    const fused = this.fuse();
    if (fused !== null) this.text = fused;
    return this.text;
  }

  /** The per-position vote over the frames of the commonest layout, or null when no layout has `agree` frames. */
  private fuse(): string | null {
    const layoutOf = (f: FrameReading) => f.lines.map((l) => l.digits.length).join(',');
    const byLayout = new Map<string, FrameReading[]>();
    for (const f of this.frames) {
      if (f.lines.length === 0) continue;
      const key = layoutOf(f);
      byLayout.set(key, [...(byLayout.get(key) ?? []), f]);
    }
    // The commonest layout; among equals, the one seen last.
    let chosen: FrameReading[] = [];
    for (const frames of byLayout.values()) {
      if (
        frames.length > chosen.length ||
        (frames.length === chosen.length && this.frames.lastIndexOf(frames.at(-1)!) > this.frames.lastIndexOf(chosen.at(-1)!))
      )
        chosen = frames;
    }
    const newest = chosen.at(-1)!;
    const sameScene = (f: FrameReading) =>
      f.lines.every((line, l) =>
        line.digits.every(({ box: [x, y, w, h] }, d) => {
          const [nx, ny, nw, nh] = newest.lines[l].digits[d].box;
          const cx = x + w / 2,
            cy = y + h / 2;
          return cx >= nx && cx <= nx + nw && cy >= ny && cy <= ny + nh;
        }),
      );
    chosen = chosen.filter(sameScene);
    if (chosen.length < this.agree) return null;
    return chosen[0].lines
      .map((line, l) =>
        line.digits
          .map((_, d) => {
            const score = new Float64Array(10);
            for (const f of chosen) {
              const digit = f.lines[l].digits[d];
              const alternatives = digit.alternatives.length > 0 ? digit.alternatives : [{ digit: digit.digit, p: digit.confidence }];
              for (const a of alternatives) score[a.digit] += a.p;
            }
            let best = 0;
            for (let n = 1; n < 10; n++) if (score[n] > score[best]) best = n;
            return best;
          })
          .join(''),
      )
      .join('\n');
  }
}
