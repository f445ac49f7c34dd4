// A select whose choices follow the floor (its queues, its agents), in the console's filters and
// forms. What was chosen is kept when the choices are drawn again; a choice a link named before
// the choices held it (a deep link opened before the floor was read) waits until they do.

/** Choose `value`, or remember it until `keepChoices` brings it. */
export function choose(select, value) {
  select.value = value;
  if (select.value === value) delete select.dataset.wanted;
  else select.dataset.wanted = value;
}

/** Draw the choices (`pairs` of value and text) after the select's first option when it is an
 * "any" one; true when a link's waiting choice has just been taken. */
export function keepChoices(select, pairs, { any = true } = {}) {
  const wanted = select.dataset.wanted;
  const chosen = wanted ?? select.value;
  const first = any ? [select.options[0]] : [];
  select.replaceChildren(...first, ...pairs.map(([value, text]) => new Option(text, value)));
  const found = pairs.some(([value]) => value === chosen);
  if (found) select.value = chosen;
  else if (any) select.value = "";
  if (wanted !== undefined && found) delete select.dataset.wanted;
  return wanted !== undefined && found;
}
