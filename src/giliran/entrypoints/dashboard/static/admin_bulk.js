// Acting on many tickets at once: the supervisor ticks rows (or the page's rows), or takes
// every ticket the list's filters match; the server counts those first (a dry run), so the
// button says how many before anything happens. One click arms the action, a second confirms
// it ("Reassign 100 tickets to Budi"); POST /tickets/bulk then tries each ticket on its own
// and the answer says what became of each: the refused ones are listed with the server's
// words. The list itself follows from the tickets' own events, as any other change.

import { $, api, errorText, t, toast } from "./common.js";
import { keepChoices } from "./choices.js";

let floor = null;
let currentFilter = () => ({});
const chosen = new Set();  // ticked ticket ids (kept across pages and redraws)
let matching = null;  // {filter, count}: every ticket the filters match, counted by the server
let armed = false;
const SHOWN = 5;  // the tickets named per reason a bulk action was refused

export function setupBulk(state, filter) {
  floor = state;
  currentFilter = filter;
  $("bulk-action").addEventListener("change", () => { showArguments(); disarm(); });
  for (const id of ["bulk-agent", "bulk-force", "bulk-priority", "bulk-queue"]) {
    $(id).addEventListener("change", disarm);
  }
  $("bulk-all").addEventListener("click", takeAllMatching);
  $("bulk-none").addEventListener("click", clear);
  $("bulk").addEventListener("submit", (event) => { event.preventDefault(); apply(); });
  $("bulk-cancel-confirm").addEventListener("click", disarm);
  $("tickets").addEventListener("change", (event) => {
    const box = event.target.closest("input[data-select]");
    if (box) tick(box);
    const page = event.target.closest("input[data-select-page]");
    if (page) tickPage(page.checked);
  });
  showArguments();
  show();
}

/** The list's filters changed: a count of what they matched no longer holds. */
export function filtersChanged() {
  if (matching) clear();
}

/** After the list is drawn: a box in each row, ticked if chosen, and one for the page. */
export function markRows() {
  for (const tbody of $("tickets").tBodies) {
    const id = Number(tbody.dataset.ticketId);
    const first = tbody.rows[0]?.cells[0];
    if (!first || first.querySelector("input[data-select]")) continue;
    const box = Object.assign(document.createElement("input"), { type: "checkbox" });
    box.dataset.select = id;
    box.checked = matching !== null || chosen.has(id);
    box.disabled = matching !== null;
    const number = first.textContent;
    box.setAttribute("aria-label", t("bulk.select", { number }));
    first.prepend(box);
  }
  const page = $("tickets").querySelector("thead input[data-select-page]");
  if (page) {
    const boxes = [...$("tickets").querySelectorAll("tbody input[data-select]")];
    page.checked = boxes.length > 0 && boxes.every((b) => b.checked);
    page.disabled = matching !== null || boxes.length === 0;
  }
}

export function fillBulkChoices() {
  const noAny = { any: false };  // an action's argument: always one of them
  keepChoices($("bulk-agent"), floor.agents.map((a) => [String(a.id), a.name]), noAny);
  keepChoices($("bulk-queue"), floor.queues.filter((q) => q.active).map((q) => [q.name, q.name]),
              noAny);
}

function tick(box) {
  const id = Number(box.dataset.select);
  if (box.checked) chosen.add(id); else chosen.delete(id);
  disarm();
  markRows();
  show();
}

/** The header's box: every row of this page, ticked or not. */
function tickPage(checked) {
  for (const box of $("tickets").querySelectorAll("tbody input[data-select]")) {
    box.checked = checked;
    const id = Number(box.dataset.select);
    if (checked) chosen.add(id); else chosen.delete(id);
  }
  disarm();
  show();
}

async function takeAllMatching() {
  const filter = currentFilter();
  try {
    const preview = await api("POST", "/tickets/bulk", {
      filter, action: "clear_flag", dry_run: true });
    matching = { filter, count: preview.count };
    chosen.clear();
    for (const box of $("tickets").querySelectorAll("tbody input[data-select]")) box.checked = true;
  } catch (error) {
    toast(errorText(error), "error");  // e.g. more than 1000: the server's words say so
  }
  disarm();
  markRows();
  show();
}

function clear() {
  matching = null;
  chosen.clear();
  for (const box of $("tickets").querySelectorAll("input[data-select], input[data-select-page]")) {
    box.checked = false;
    box.disabled = false;
  }
  disarm();
  show();
}

const count = () => (matching ? matching.count : chosen.size);

function show() {
  const n = count();
  $("bulk-count").textContent = matching ? t("bulk.all_chosen", { count: n })
    : n ? t("bulk.chosen", { count: n }) : t("bulk.nothing");
  $("bulk-none").hidden = n === 0;
  $("bulk-all").hidden = matching !== null;
  $("bulk-apply").disabled = n === 0;
  $("bulk-apply").textContent = armed ? confirmText(n) : t("bulk.apply_to", { count: n });
  $("bulk-cancel-confirm").hidden = !armed;
}

function showArguments() {
  const action = $("bulk-action").value;
  for (const el of $("bulk").querySelectorAll("[data-for]")) el.hidden = el.dataset.for !== action;
}

function confirmText(n) {
  const action = $("bulk-action").value;
  const agent = $("bulk-agent").selectedOptions[0]?.text ?? "";
  const queue = $("bulk-queue").value;
  const priority = $("bulk-priority").selectedOptions[0]?.text ?? "";
  return {
    reassign: t("bulk.confirm_reassign", { count: n, name: agent }),
    requeue: t("bulk.confirm_requeue", { count: n }),
    priority: t("bulk.confirm_priority", { count: n, priority }),
    move: t("bulk.confirm_move", { count: n, queue }),
    clear_flag: t("bulk.confirm_clear_flag", { count: n }),
    cancel: t("bulk.confirm_cancel", { count: n }),
  }[action];
}

function disarm() {
  armed = false;
  $("bulk-apply").classList.remove("danger");
  show();
}

function body() {
  const action = $("bulk-action").value;
  const wanted = matching ? { filter: matching.filter } : { ids: [...chosen] };
  const args = {
    reassign: { agent_id: Number($("bulk-agent").value), force: $("bulk-force").checked },
    priority: { priority: $("bulk-priority").value },
    move: { queue: $("bulk-queue").value },
  }[action] ?? {};
  return { ...wanted, action, ...args };
}

async function apply() {
  if (!count()) return;
  if (!armed) {  // the first click says what a second one does, and how many it touches
    armed = true;
    $("bulk-apply").classList.add("danger");
    show();
    return;
  }
  const button = $("bulk-apply");
  button.disabled = true;
  button.textContent = t("bulk.working");
  try {
    showResults(await api("POST", "/tickets/bulk", body()));
    clear();
  } catch (error) {
    toast(errorText(error), "error");
    disarm();
  }
}

function showResults(answer) {
  $("bulk-results").hidden = false;
  $("bulk-summary").textContent = t("bulk.done", { ok: answer.succeeded, failed: answer.failed });
  // The refused ones by reason: "agent Budi is full (5/5) — 90 tickets: INC…, INC…, …".
  const why = new Map();
  for (const r of answer.results.filter((x) => !x.ok)) {
    why.set(r.error.message, [...(why.get(r.error.message) ?? []), r.number ?? String(r.id)]);
  }
  const refused = [...why].map(([message, numbers]) => {
    const li = document.createElement("li");
    const shown = numbers.slice(0, SHOWN).join(", ");
    li.textContent = t("bulk.refused", { why: message, count: numbers.length,
                                         numbers: numbers.length > SHOWN ? `${shown}, …` : shown });
    return li;
  });
  $("bulk-refused").replaceChildren(...refused);
  $("bulk-results").focus?.();
}
