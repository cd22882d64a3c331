/**
 * Reader for the IDX format that MNIST ships in: a big-endian header (two zero bytes, a type code,
 * the number of dimensions, then one uint32 per dimension) followed by the raw values.
 */
import { readFile } from 'node:fs/promises';

/** Type code for unsigned bytes, the only element type MNIST uses. */
export const IDX_TYPE_UBYTE = 0x08;
/** Magic number of an IDX file of unsigned bytes with one dimension: labels. */
export const IDX_LABELS_MAGIC = 0x00000801;
/** Magic number of an IDX file of unsigned bytes with three dimensions: images. */
export const IDX_IMAGES_MAGIC = 0x00000803;

export class IdxFormatError extends Error {
  override readonly name = 'IdxFormatError';
}

export interface IdxArray {
  dimensions: number[];
  data: Uint8Array;
}

export function parseIdx(buffer: Uint8Array, expectedMagic: number, source = 'IDX data'): IdxArray {
  if (buffer.byteLength < 4) throw new IdxFormatError(`${source}: ${buffer.byteLength} bytes is too short for an IDX header`);
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  const magic = view.getUint32(0);
  if (magic !== expectedMagic) {
    throw new IdxFormatError(`${source}: magic number 0x${magic.toString(16).padStart(8, '0')}, expected 0x${expectedMagic.toString(16).padStart(8, '0')}`);
  }
  if (buffer[2] !== IDX_TYPE_UBYTE) throw new IdxFormatError(`${source}: element type 0x${buffer[2].toString(16)} is not unsigned byte`);
  const rank = buffer[3];
  const headerBytes = 4 + 4 * rank;
  if (buffer.byteLength < headerBytes) throw new IdxFormatError(`${source}: truncated header (${rank} dimensions declared)`);
  const dimensions = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i));
  const count = dimensions.reduce((a, b) => a * b, 1);
  const available = buffer.byteLength - headerBytes;
  if (available < count) {
    throw new IdxFormatError(`${source}: truncated: header declares ${dimensions.join('x')} = ${count} values, file holds ${available}`);
  }
  if (available > count) throw new IdxFormatError(`${source}: ${available - count} bytes past the ${count} values the header declares`);
  return { dimensions, data: buffer.subarray(headerBytes) };
}

export interface IdxImages {
  count: number;
  height: number;
  width: number;
  /** count * height * width bytes, row-major, 0 = background. */
  pixels: Uint8Array;
}

export function parseIdxImages(buffer: Uint8Array, source?: string): IdxImages {
  const { dimensions, data } = parseIdx(buffer, IDX_IMAGES_MAGIC, source);
  const [count, height, width] = dimensions;
  return { count, height, width, pixels: data };
}

export function parseIdxLabels(buffer: Uint8Array, source?: string): Uint8Array {
  const { data } = parseIdx(buffer, IDX_LABELS_MAGIC, source);
  for (let i = 0; i < data.length; i++) {
    if (data[i] > 9) throw new IdxFormatError(`${source ?? 'IDX labels'}: label ${data[i]} at index ${i} is not a digit`);
  }
  return data;
}

export async function readIdxImages(path: string): Promise<IdxImages> {
  return parseIdxImages(await readFile(path), path);
}

export async function readIdxLabels(path: string): Promise<Uint8Array> {
  return parseIdxLabels(await readFile(path), path);
}
