/** Groups digits into lines of writing and orders them: lines top to bottom, digits left to right. */
import type { Box } from './components.js';

export function groupLines<T extends { box: Box }>(items: T[]): T[][] {
  const byCentre = [...items].sort((a, b) => a.box.y + a.box.height / 2 - (b.box.y + b.box.height / 2));
  const lines: { top: number; bottom: number; items: T[] }[] = [];
  for (const item of byCentre) {
    const { y, height } = item.box;
    const line = lines.find((l) => {
      const overlap = Math.min(l.bottom, y + height) - Math.max(l.top, y);
      return overlap >= 0.5 * Math.min(height, l.bottom - l.top);
    });
    if (line) {
      line.items.push(item);
      line.top = Math.min(line.top, y);
      line.bottom = Math.max(line.bottom, y + height);
    } else {
      lines.push({ top: y, bottom: y + height, items: [item] });
    }
  }
  return lines
    .sort((a, b) => a.top + a.bottom - (b.top + b.bottom))
    .map((l) => l.items.sort((a, b) => a.box.x + a.box.width / 2 - (b.box.x + b.box.width / 2)));
}
