/**
 * Image decoding with sharp: any format sharp reads, EXIF orientation applied, transparency
 * flattened onto white paper, bounded in pixels, downscaled to a working size, grey.
 */
import { decode as decodeBmp } from 'fast-bmp';
import sharp from 'sharp';
import { RecognitionError, RecognitionErrorCode } from './errors.js';

// libvips keeps recent operations and their results (up to 50 MB) for reuse; every image here is
// new, so the cache only holds memory, and a server's memory should stay flat under load.
sharp.cache(false);

export interface DecodeLimits {
  /** Images with more pixels than this are refused before decoding (decompression bombs). */
  maxInputPixels: number;
  /** The longer side is scaled down to this; digits need far fewer pixels than cameras give. */
  maxWorkingSide: number;
}

export const DEFAULT_DECODE_LIMITS: DecodeLimits = {
  maxInputPixels: 40_000_000,
  maxWorkingSide: 1600,
};

export interface DecodedImage {
  /** Grey levels, row-major, 0 black .. 255 white. */
  data: Uint8Array;
  width: number;
  height: number;
  /** Input pixels per working pixel, to map boxes back to the image as the user sees it. */
  scale: number;
  /** Size of the input after EXIF orientation. */
  inputWidth: number;
  inputHeight: number;
  format: string;
}

const UNSUPPORTED_MESSAGE = 'not an image in a supported format (PNG, JPEG, WebP, GIF, TIFF, AVIF, BMP)';

function classify(error: unknown): RecognitionError {
  const message = (error as Error)?.message ?? String(error);
  if (/pixel limit/i.test(message)) {
    return new RecognitionError(RecognitionErrorCode.ImageTooLarge, `image is too large: ${message}`, { cause: error });
  }
  if (/unsupported image format|Input buffer is empty|bad seek|Input file is missing/i.test(message)) {
    return new RecognitionError(RecognitionErrorCode.UnsupportedImage, UNSUPPORTED_MESSAGE, { cause: error });
  }
  return new RecognitionError(RecognitionErrorCode.CorruptImage, `the image could not be decoded: ${message}`, { cause: error });
}

const BMP_HEADER_BYTES = 26;

function startsWith(bytes: Uint8Array, signature: string, at = 0): boolean {
  if (bytes.byteLength < at + signature.length) return false;
  for (let i = 0; i < signature.length; i++) if (bytes[at + i] !== signature.charCodeAt(i)) return false;
  return true;
}

/**
 * The documented formats by their first bytes. Anything else never reaches sharp, which would
 * also render SVG (a 197-byte SVG with a blur filter costs seconds), PDF and other formats whose
 * cost has nothing to do with their size.
 */
export function sniffImageFormat(bytes: Uint8Array): 'png' | 'jpeg' | 'gif' | 'webp' | 'tiff' | 'avif' | 'bmp' | null {
  if (startsWith(bytes, '\x89PNG\r\n\x1a\n')) return 'png';
  if (startsWith(bytes, '\xff\xd8\xff')) return 'jpeg';
  if (startsWith(bytes, 'GIF87a') || startsWith(bytes, 'GIF89a')) return 'gif';
  if (startsWith(bytes, 'RIFF') && startsWith(bytes, 'WEBP', 8)) return 'webp';
  if (startsWith(bytes, 'II*\x00') || startsWith(bytes, 'MM\x00*')) return 'tiff';
  if (startsWith(bytes, 'ftyp', 4) && ['avif', 'avis', 'mif1', 'msf1'].some((brand) => startsWith(bytes, brand, 8))) return 'avif';
  if (isBmp(bytes)) return 'bmp';
  return null;
}

function isBmp(bytes: Uint8Array): boolean {
  return bytes.byteLength >= BMP_HEADER_BYTES && bytes[0] === 0x42 && bytes[1] === 0x4d; // "BM"
}

/**
 * sharp (libvips) reads no BMP, so fast-bmp decodes it and sharp takes the raw pixels. The size
 * is checked from the header first, so a BMP bomb is refused before any pixel is allocated.
 */
function bmpInput(bytes: Uint8Array, limits: DecodeLimits): { input: Buffer; raw: { width: number; height: number; channels: 1 | 2 | 3 | 4 } } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const width = Math.abs(view.getInt32(18, true));
  const height = Math.abs(view.getInt32(22, true));
  if (width * height > limits.maxInputPixels) throw new Error(`Input image exceeds pixel limit (${width}x${height})`);
  const bmp = decodeBmp(bytes);
  const channels = bmp.channels as 1 | 2 | 3 | 4;
  const pixels = bmp.data;
  if (!(pixels instanceof Uint8Array) || bmp.bitsPerPixel === 1 || pixels.length !== bmp.width * bmp.height * channels) {
    throw new Error(`unsupported BMP layout (${bmp.bitsPerPixel} bits per pixel)`);
  }
  return { input: Buffer.from(pixels.buffer, pixels.byteOffset, pixels.byteLength), raw: { width: bmp.width, height: bmp.height, channels } };
}

export async function decodeImage(bytes: Uint8Array, limits: DecodeLimits = DEFAULT_DECODE_LIMITS): Promise<DecodedImage> {
  if (bytes.byteLength === 0) throw new RecognitionError(RecognitionErrorCode.UnsupportedImage, 'empty file: not an image');
  const format = sniffImageFormat(bytes);
  if (!format) throw new RecognitionError(RecognitionErrorCode.UnsupportedImage, UNSUPPORTED_MESSAGE);
  try {
    // failOn 'truncated' rejects cut-off files; sharp's default 'warning' would also reject some
    // harmless JPEGs with trailing junk that cameras and scanners do produce.
    const sharpOptions = { limitInputPixels: limits.maxInputPixels, failOn: 'truncated' as const, animated: false };
    const bmp = format === 'bmp' ? bmpInput(bytes, limits) : null;
    const open = () => (bmp ? sharp(bmp.input, { ...sharpOptions, raw: bmp.raw }) : sharp(bytes, sharpOptions));
    const metadata = await open().metadata();
    const rotated = (metadata.orientation ?? 1) >= 5;
    const inputWidth = (rotated ? metadata.height : metadata.width) ?? 0;
    const inputHeight = (rotated ? metadata.width : metadata.height) ?? 0;
    const { data, info } = await open()
      .rotate()
      .flatten({ background: '#ffffff' })
      .resize({ width: limits.maxWorkingSide, height: limits.maxWorkingSide, fit: 'inside', withoutEnlargement: true })
      .grayscale()
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 1) throw new Error(`expected one grey channel, got ${info.channels}`);
    return {
      data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      width: info.width,
      height: info.height,
      scale: inputWidth > 0 ? inputWidth / info.width : 1,
      inputWidth,
      inputHeight,
      format: bmp ? 'bmp' : (metadata.format ?? 'unknown'),
    };
  } catch (error) {
    throw error instanceof RecognitionError ? error : classify(error);
  }
}
