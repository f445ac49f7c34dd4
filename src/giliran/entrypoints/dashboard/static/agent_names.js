// Agents' names for every table of the console, from the whole agent list (deactivated agents
// included: their history, figures and audit lines still name them). The tables' reads and the
// agent list arrive in any order, and agents are created while the page is open: a table drawn
// before a name is known shows "…" in its place and is drawn again when names change, so no
// table ever shows an agent's bare id.

const names = new Map();
const redraws = [];
const UNKNOWN = "…";

/** The agent's name; else the name the entry itself carried (`fallback`), else "…". */
export function agentName(id, fallback) {
  return names.get(Number(id)) ?? fallback ?? UNKNOWN;
}

/** The agent list as read or framed: when a name appeared or changed, redraw what names one. */
export function knowAgents(agents) {
  const changed = agents.filter((a) => names.get(a.id) !== a.name);
  for (const a of changed) names.set(a.id, a.name);
  if (changed.length) for (const redraw of redraws) redraw();
}

/** `redraw` runs whenever names change (a table that shows them registers it once). */
export function onNames(redraw) {
  redraws.push(redraw);
}
