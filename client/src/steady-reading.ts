/**
 * Holds a camera reading steady: a new text replaces the one shown only once it has been read in
 * `agree` frames in a row, so one blurred frame does not make the number flicker.
 */
export class SteadyReading {
  text = '';
  private candidate = '';
  private seen = 0;

  constructor(private readonly agree = 2) {}

  /** Takes the text read in the latest frame; returns the text to show. */
  push(text: string): string {
    if (text === this.text) {
      this.seen = 0;
      return this.text;
    }
    if (text === this.candidate) this.seen++;
    else {
      this.candidate = text;
      this.seen = 1;
    }
    if (this.seen >= this.agree) {
      this.text = text;
      this.seen = 0;
    }
    return this.text;
  }
}
