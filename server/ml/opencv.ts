/** The one place that loads opencv-wasm, so every module shares a single instance. */
import { createRequire } from 'node:module';

// require() rather than import: the package's own type file does not compile under this
// project's settings, so its types come from server/types/opencv-wasm.d.ts instead.
const require = createRequire(import.meta.url);
export const cv = (require('opencv-wasm') as { cv: typeof OpenCvWasm }).cv;
export type Mat = OpenCvWasm.Mat;

/** Runs `work` with fresh Mats and deletes them afterwards: wasm heap memory is not garbage-collected. */
export function withMats<T>(count: number, work: (...mats: Mat[]) => T): T {
  const mats = Array.from({ length: count }, () => new cv.Mat());
  try {
    return work(...mats);
  } finally {
    for (const mat of mats) mat.delete();
  }
}
