/**
 * Pictures beside the model card, for a person to read at a glance: the test confusion matrix as
 * a heat map, loss and accuracy per epoch, and the test digits the model gets wrong. Drawn as SVG
 * and rendered by librsvg through sharp (no plotting library runs headless in Node without a
 * browser; these three charts are a few dozen shapes).
 */
import sharp from 'sharp';
import { join } from 'node:path';
import { digitPixels, type DigitSet } from './mnist.js';
import type { ModelCard } from './model-card.js';

export const CARD_PICTURES = { confusion: 'confusion.png', curves: 'curves.png', errors: 'errors.png' } as const;

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;');

async function svgToPng(svg: string, file: string): Promise<void> {
  await sharp(Buffer.from(svg)).png().toFile(file);
}

/** Off-diagonal cells coloured by count (log scale), the diagonal by accuracy, each with its number. */
function confusionSvg(card: ModelCard): string {
  const cell = 44,
    left = 70,
    top = 60;
  const confusion = card.test.confusion;
  const worst = Math.max(1, ...confusion.flatMap((row, r) => row.filter((_, c) => c !== r)));
  const cells = confusion.flatMap((row, label) =>
    row.map((count, predicted) => {
      const x = left + predicted * cell,
        y = top + label * cell;
      const share = label === predicted ? 0 : Math.log1p(count) / Math.log1p(worst);
      const fill = label === predicted ? '#d8ecd8' : count === 0 ? '#ffffff' : `rgb(255,${Math.round(235 - 180 * share)},${Math.round(225 - 190 * share)})`;
      return `<rect x="${x}" y="${y}" width="${cell}" height="${cell}" fill="${fill}" stroke="#ccc"/><text x="${x + cell / 2}" y="${y + cell / 2 + 5}" text-anchor="middle" font-size="13" fill="#222">${count}</text>`;
    }),
  );
  const axes = [...Array(10).keys()].map(
    (d) =>
      `<text x="${left + d * cell + cell / 2}" y="${top - 8}" text-anchor="middle" font-size="14" font-weight="bold">${d}</text><text x="${left - 10}" y="${top + d * cell + cell / 2 + 5}" text-anchor="end" font-size="14" font-weight="bold">${d}</text>`,
  );
  const width = left + 10 * cell + 20,
    height = top + 10 * cell + 40;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="DejaVu Sans, sans-serif"><rect width="100%" height="100%" fill="#fff"/>
<text x="10" y="20" font-size="13">MNIST test split (${card.test.count} digits): rows are labels, columns what was read</text>
<text x="${left + 5 * cell}" y="${top - 26}" text-anchor="middle" font-size="11" fill="#555">read as</text>
${axes.join('')}${cells.join('')}
<text x="${left}" y="${height - 12}" font-size="12" fill="#555">diagonal: read right; red: misread, darker for more</text></svg>`;
}

/** Loss and train/validation accuracy per epoch, as two small line charts side by side. */
function curvesSvg(card: ModelCard): string {
  const history = card.training.history;
  const chart = (x0: number, title: string, series: { name: string; colour: string; values: number[] }[], format: (v: number) => string) => {
    const w = 340,
      h = 220,
      top = 50;
    const all = series.flatMap((s) => s.values);
    let low = Math.min(...all),
      high = Math.max(...all);
    if (high - low < 1e-9) [low, high] = [low - 0.5, high + 0.5];
    const px = (i: number) => x0 + 50 + (history.length <= 1 ? w / 2 : (i / (history.length - 1)) * w);
    const py = (v: number) => top + h - ((v - low) / (high - low)) * h;
    const lines = series.map(
      (s) =>
        `<polyline fill="none" stroke="${s.colour}" stroke-width="2" points="${s.values.map((v, i) => `${px(i)},${py(v)}`).join(' ')}"/>` +
        s.values.map((v, i) => `<circle cx="${px(i)}" cy="${py(v)}" r="3" fill="${s.colour}"/>`).join(''),
    );
    const legend = series.map((s, i) => `<text x="${x0 + 60 + i * 150}" y="${top + h + 45}" font-size="12" fill="${s.colour}">● ${s.name}</text>`);
    const ticks = history.map((e, i) => `<text x="${px(i)}" y="${top + h + 18}" text-anchor="middle" font-size="11">${e.epoch}</text>`);
    return `<text x="${x0 + 50}" y="30" font-size="14">${escape(title)}</text>
<rect x="${x0 + 50}" y="${top}" width="${w}" height="${h}" fill="none" stroke="#ccc"/>
<text x="${x0 + 45}" y="${top + 5}" text-anchor="end" font-size="11">${format(high)}</text><text x="${x0 + 45}" y="${top + h}" text-anchor="end" font-size="11">${format(low)}</text>
${ticks.join('')}${lines.join('')}${legend.join('')}`;
  };
  const loss = chart(0, 'training loss per epoch', [{ name: 'loss', colour: '#c62828', values: history.map((e) => e.loss) }], (v) => v.toFixed(3));
  const accuracy = chart(
    420,
    'accuracy per epoch (%)',
    [
      { name: 'train', colour: '#1565c0', values: history.map((e) => 100 * e.trainAccuracy) },
      { name: 'validation', colour: '#2e7d32', values: history.map((e) => 100 * e.validationAccuracy) },
    ],
    (v) => v.toFixed(2),
  );
  return `<svg xmlns="http://www.w3.org/2000/svg" width="840" height="330" font-family="DejaVu Sans, sans-serif"><rect width="100%" height="100%" fill="#fff"/>${loss}${accuracy}</svg>`;
}

/** The misread test digits, black on white, each captioned "label→read". */
async function errorsPng(test: DigitSet, errors: readonly number[], predicted: readonly number[], file: string): Promise<void> {
  const shown = errors.slice(0, 120);
  const columns = 12,
    scale = 2,
    cellW = 28 * scale + 8,
    cellH = 28 * scale + 22;
  const rows = Math.max(1, Math.ceil(shown.length / columns));
  const width = columns * cellW,
    height = rows * cellH + 30;
  const layers = await Promise.all(
    shown.map(async (index, k) => {
      const pixels = Buffer.from(digitPixels(test, index).map((v) => 255 - v));
      const input = await sharp(pixels, { raw: { width: 28, height: 28, channels: 1 } })
        .resize(28 * scale, 28 * scale, { kernel: 'nearest' })
        .png()
        .toBuffer();
      return { input, left: (k % columns) * cellW + 4, top: 30 + Math.floor(k / columns) * cellH };
    }),
  );
  const captions = shown
    .map(
      (index, k) =>
        `<text x="${(k % columns) * cellW + cellW / 2}" y="${30 + Math.floor(k / columns) * cellH + 28 * scale + 15}" text-anchor="middle" font-size="12">${test.labels[index]}→${predicted[k]}</text>`,
    )
    .join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="DejaVu Sans, sans-serif"><rect width="100%" height="100%" fill="#fff"/><text x="6" y="20" font-size="14">The ${errors.length} MNIST test digits read wrong${errors.length > shown.length ? ` (first ${shown.length})` : ''}: label→read</text>${captions}</svg>`;
  await sharp(Buffer.from(svg)).composite(layers).png().toFile(file);
}

/** Writes the three pictures into `dir`. `errors`: indices of misread test digits; `predictedOf`: what each was read as. */
export async function writeCardPictures(
  dir: string,
  card: ModelCard,
  test: DigitSet,
  errors: readonly number[],
  predictedOf: (index: number) => number,
): Promise<void> {
  await svgToPng(confusionSvg(card), join(dir, CARD_PICTURES.confusion));
  await svgToPng(curvesSvg(card), join(dir, CARD_PICTURES.curves));
  await errorsPng(
    test,
    errors,
    errors.map((i) => predictedOf(i)),
    join(dir, CARD_PICTURES.errors),
  );
}
