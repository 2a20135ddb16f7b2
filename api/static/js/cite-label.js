/** How a citation names where to look: "Guide › Section (p. 4)". */

/** "(p. 4)" for a citation of a PDF guide, else "". */
export function pageLabel(cite) {
  return cite.page ? ` (p. ${cite.page})` : "";
}
