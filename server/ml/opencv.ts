/** The one place that loads opencv-wasm, so every module shares a single instance. */
import opencvPackage from 'opencv-wasm';

export const cv = opencvPackage.cv;
export type Mat = InstanceType<typeof cv.Mat>;

/** Runs `work` with fresh Mats and deletes them afterwards: wasm heap memory is not garbage-collected. */
export function withMats<T>(count: number, work: (...mats: Mat[]) => T): T {
  const mats = Array.from({ length: count }, () => new cv.Mat());
  try {
    return work(...mats);
  } finally {
    for (const mat of mats) mat.delete();
  }
}
