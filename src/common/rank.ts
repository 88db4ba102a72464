/** Where an item of this rank goes in a list sorted by rank (after its ties). */
export function rankIndex(
  sorted: readonly { rank: number }[],
  rank: number
): number {
  const at = sorted.findIndex(other => other.rank > rank);
  return at === -1 ? sorted.length : at;
}
