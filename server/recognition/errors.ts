/** Errors the recognition pipeline reports to callers, each with a stable code. */

export const RecognitionErrorCode = {
  /** Bytes that no supported decoder recognises: 415 for an upload. */
  UnsupportedImage: 'unsupported-image',
  /** A truncated or otherwise damaged image. */
  CorruptImage: 'corrupt-image',
  /** More pixels than the configured limit (a decompression bomb, or simply too big): 413. */
  ImageTooLarge: 'image-too-large',
  /** Strokes that are not what the stroke format says. */
  InvalidStrokes: 'invalid-strokes',
  /** Every recognition worker is busy and the queue is full: try again shortly (503, close 1013). */
  Busy: 'busy',
  /** The recognition service failed or is shutting down (500, close 1011). */
  Internal: 'internal',
} as const;
export type RecognitionErrorCode = (typeof RecognitionErrorCode)[keyof typeof RecognitionErrorCode];

export class RecognitionError extends Error {
  override readonly name = 'RecognitionError';
  constructor(
    readonly code: RecognitionErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
