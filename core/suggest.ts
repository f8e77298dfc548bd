/** "Did you mean" for unknown names: the closest known name within a small edit distance. */

/** Levenshtein distance between `a` and `b`, ignoring case. */
export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  let prev = Array.from({ length: t.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i++) {
    const row = [i];
    for (let j = 1; j <= t.length; j++) {
      row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (s[i - 1] === t[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[t.length];
}

/**
 * The known name closest to `name` when it is close enough to be a typo (at most a third of
 * its length in edits, and at least 1, or a different case), else null.
 */
export function closestName(name: string, known: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const d = editDistance(name, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  const limit = Math.max(1, Math.floor(name.length / 3));
  return best !== null && bestDistance <= limit ? best : null;
}

/** `" (did you mean 'x'?)"` for the closest known name, or "" when none is close. */
export function didYouMean(name: string, known: readonly string[]): string {
  const match = closestName(name, known);
  return match === null ? "" : ` (did you mean '${match}'?)`;
}
