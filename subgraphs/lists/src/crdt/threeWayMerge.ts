import { diff3Merge } from 'node-diff3';

/** Result of {@link threeWayMerge}. */
export type ThreeWayResult = { readonly kind: 'merged'; readonly text: string } | { readonly kind: 'conflict'; readonly ours: string; readonly theirs: string };

/** Splits text into lines that keep their `\n`, so joining them gives the text back exactly. */
function lines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

/**
 * Line-based three-way merge of two edits of a common ancestor (diff3, Khanna et al., "A Formal
 * Investigation of Diff3", 2007), computed with `node-diff3`. Edits to different lines merge; when both
 * sides changed the same lines differently the result is a conflict with both whole texts. Identical
 * changes on both sides, or a change on one side only, are not conflicts.
 *
 * @param base - the common ancestor.
 * @param ours - the current text (e.g. the server's).
 * @param theirs - the incoming edit of `base`.
 * @returns the merged text, or a conflict carrying `ours` and `theirs`.
 */
export function threeWayMerge(base: string, ours: string, theirs: string): ThreeWayResult {
  if (ours === theirs || theirs === base) return { kind: 'merged', text: ours };
  if (ours === base) return { kind: 'merged', text: theirs };
  const chunks = diff3Merge(lines(ours), lines(base), lines(theirs), { excludeFalseConflicts: true });
  let text = '';
  for (const chunk of chunks) {
    if (chunk.conflict) return { kind: 'conflict', ours, theirs };
    text += (chunk.ok ?? []).join('');
  }
  return { kind: 'merged', text };
}
