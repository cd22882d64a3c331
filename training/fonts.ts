/**
 * Digits of handwriting fonts as pen strokes: rendered by librsvg (through sharp, which finds
 * installed fonts with fontconfig) and traced like a scanned digit. Debian's handwriting fonts
 * (fonts-breip, fonts-bwht, fonts-ecolier-court, fonts-comic-neue, and those test/support/pen-sets.ts
 * names) are split in two: those below train the model; the rest (HELD_OUT_FONTS) are kept out of
 * training for the held-out pen set.
 */
import sharp from 'sharp';
import { glyphStrokes } from './trace.js';

export const TRAINING_FONTS = ['Comic Neue', 'Breip', 'Ecolier_court', 'Because We Build', 'Because We Connect', 'Because We Create', 'Because We Organize'];

const GLYPH_SIZE = 112;
const traced = new Map<string, [number, number][][]>();

async function renderGlyph(font: string, char: string): Promise<Float32Array> {
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${GLYPH_SIZE}" height="${GLYPH_SIZE}"><rect width="100%" height="100%" fill="black"/>` +
    `<text x="50%" y="78%" text-anchor="middle" font-family="${font}" font-size="88" fill="white">${char}</text></svg>`;
  const { data, info } = await sharp(Buffer.from(svg)).greyscale().raw().toBuffer({ resolveWithObject: true });
  return Float32Array.from(data.subarray(0, info.width * info.height), (v) => v / 255);
}

/** A font's glyph for `char` as strokes in a unit box (see glyphStrokes); traced once, then kept. */
export async function fontGlyphStrokes(font: string, char: string): Promise<[number, number][][]> {
  const key = `${font}\u0000${char}`;
  let strokes = traced.get(key);
  if (!strokes) {
    strokes = glyphStrokes(await renderGlyph(font, char), GLYPH_SIZE, GLYPH_SIZE);
    traced.set(key, strokes);
  }
  return strokes;
}

/**
 * Whether every font named is installed: fontconfig falls back to another font for a missing one,
 * so a font counts as installed when its 8 differs from the fallback's.
 */
export async function fontsInstalled(fonts: readonly string[]): Promise<boolean> {
  const fallback = await renderGlyph('no such font, surely', '8');
  for (const font of fonts) {
    const glyph = await renderGlyph(font, '8');
    if (glyph.every((v, i) => v === fallback[i])) return false;
  }
  return true;
}
