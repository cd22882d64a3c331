import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC, IdxFormatError, parseIdxImages, parseIdxLabels, readIdxImages } from '../training/idx.js';
import { loadMnist, splitTrainValidation } from '../training/mnist.js';

function idxFile(magic: number, dimensions: number[], values: number[]): Uint8Array {
  const header = Buffer.alloc(4 + 4 * dimensions.length);
  header.writeUInt32BE(magic, 0);
  dimensions.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return new Uint8Array(Buffer.concat([header, Buffer.from(values)]));
}

describe('IDX reader', () => {
  it('reads images and labels', () => {
    const images = parseIdxImages(idxFile(IDX_IMAGES_MAGIC, [2, 2, 3], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]));
    expect(images).toMatchObject({ count: 2, height: 2, width: 3 });
    expect(Array.from(images.pixels)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(Array.from(parseIdxLabels(idxFile(IDX_LABELS_MAGIC, [3], [7, 0, 9])))).toEqual([7, 0, 9]);
  });

  it('rejects a labels file given as images, and the reverse', () => {
    expect(() => parseIdxImages(idxFile(IDX_LABELS_MAGIC, [3], [1, 2, 3]), 'x.idx')).toThrow(/x\.idx: magic number 0x00000801, expected 0x00000803/);
    expect(() => parseIdxLabels(idxFile(IDX_IMAGES_MAGIC, [1, 1, 1], [1]))).toThrow(IdxFormatError);
  });

  it('rejects files that are not IDX at all', () => {
    expect(() => parseIdxImages(new Uint8Array(Buffer.from('<html>Not found</html>')))).toThrow(/magic number/);
    expect(() => parseIdxImages(new Uint8Array([0, 0]))).toThrow(/too short/);
  });

  it('rejects truncated headers and data, and trailing bytes', () => {
    expect(() => parseIdxImages(idxFile(IDX_IMAGES_MAGIC, [2], []).subarray(0, 6))).toThrow(/truncated header/);
    expect(() => parseIdxImages(idxFile(IDX_IMAGES_MAGIC, [2, 2, 2], [1, 2, 3]))).toThrow(/truncated: header declares 2x2x2 = 8 values, file holds 3/);
    expect(() => parseIdxLabels(idxFile(IDX_LABELS_MAGIC, [2], [1, 2, 3]))).toThrow(/1 bytes past/);
  });

  it('rejects labels that are not digits', () => {
    expect(() => parseIdxLabels(idxFile(IDX_LABELS_MAGIC, [2], [3, 12]))).toThrow(/label 12 at index 1/);
  });

  it('names the file in errors when reading from disk', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'idx-'));
    const path = join(dir, 'broken-images');
    await writeFile(path, idxFile(IDX_IMAGES_MAGIC, [10, 28, 28], [1, 2, 3]));
    await expect(readIdxImages(path)).rejects.toThrow(path);
  });
});

describe('MNIST', () => {
  it('has the real 60k/10k splits with matching labels', async () => {
    const [train, test] = await Promise.all([loadMnist('train'), loadMnist('test')]);
    expect(train.images).toMatchObject({ count: 60000, width: 28, height: 28 });
    expect(test.images).toMatchObject({ count: 10000, width: 28, height: 28 });
    expect(train.labels.length).toBe(60000);
    expect(test.labels.length).toBe(10000);
    // Every digit is well represented in both splits.
    for (const set of [train, test]) {
      const counts = new Array(10).fill(0);
      set.labels.forEach((l) => counts[l]++);
      expect(Math.min(...counts)).toBeGreaterThan(set.labels.length / 15);
    }
  });

  it('carves a seeded validation split out of train, disjoint and reproducible', async () => {
    const train = await loadMnist('train');
    const a = splitTrainValidation(train, 6000, 7);
    const b = splitTrainValidation(train, 6000, 7);
    expect(a.train.labels.length).toBe(54000);
    expect(a.validation.labels.length).toBe(6000);
    expect(Buffer.compare(a.validation.images.pixels, b.validation.images.pixels)).toBe(0);
    const other = splitTrainValidation(train, 6000, 8);
    expect(Buffer.compare(a.validation.images.pixels, other.validation.images.pixels)).not.toBe(0);
    expect(() => splitTrainValidation(train, 60000, 1)).toThrow(RangeError);
  });
});
