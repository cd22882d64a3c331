/**
 * How a reading compares with the text written: edit distance for the character error rate, and
 * the separators (`.` `-` `/` `:` and the space between two numbers) read in their places.
 */

/** The separators the pen reading knows, and the space between two numbers on a line. */
const SEPARATOR = /[.\-/: ]/;

/** Levenshtein's table, row by row: entry [i][j] is the distance between a[0..i) and b[0..j). */
function distanceTable(a: string, b: string): number[][] {
  const rows = [Array.from({ length: b.length + 1 }, (_, j) => j)];
  for (let i = 1; i <= a.length; i++) {
    const previous = rows[i - 1];
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    rows.push(current);
  }
  return rows;
}

export function editDistance(a: string, b: string): number {
  return distanceTable(a, b)[a.length][b.length];
}

export interface SeparatorScore {
  /** Separators in the text written. */
  written: number;
  /** Of those, read as the same separator in the same place. */
  right: number;
  /** Separators in the reading where the text has none (a 1 read as a slash, a stray dot). */
  spurious: number;
}

/**
 * Separators read right, by one least-cost alignment of the reading with the text: a separator
 * counts as right where the alignment matches it with the same character, so a slash read as a
 * 1 is wrong even if the rest of the date is right, and a digit lost beside it changes nothing.
 */
export function separatorScore(read: string, truth: string): SeparatorScore {
  const table = distanceTable(read, truth);
  const score: SeparatorScore = { written: 0, right: 0, spurious: 0 };
  for (const char of truth) if (SEPARATOR.test(char)) score.written++;
  const matched = new Set<number>();
  let i = read.length,
    j = truth.length;
  while (i > 0 && j > 0) {
    const same = read[i - 1] === truth[j - 1];
    if (table[i][j] === table[i - 1][j - 1] + (same ? 0 : 1)) {
      if (same && SEPARATOR.test(read[i - 1])) {
        score.right++;
        matched.add(i - 1);
      }
      i--;
      j--;
    } else if (table[i][j] === table[i - 1][j] + 1) i--;
    else j--;
  }
  for (let k = 0; k < read.length; k++) if (SEPARATOR.test(read[k]) && !matched.has(k)) score.spurious++;
  return score;
}
