// The assignment history, newest first and by ticket number: filters, pages, and the CSV
// export of every match (fetched with the session cookie).

import { $, api, apiFile, dateTime, errorText, t, toast } from "./common.js";
import { byText, eventName, REASON, why } from "./labels.js";
import { agentName, onNames } from "./agent_names.js";

const PAGE = 50;
let floor = null;
let offset = 0;
let total = 0;
let shown = [];
let latest = 0;  // the last search asked: an older answer arriving after it is dropped

export function setupHistory(state) {
  floor = state;
  const reasons = $("history-filters").reason;
  for (const [code, label] of Object.entries(REASON)) reasons.append(new Option(label, code));
  $("history-filters").addEventListener("submit", (event) => {
    event.preventDefault();
    search(0, true);
  });
  $("history-prev").addEventListener("click", () => search(Math.max(0, offset - PAGE), true));
  $("history-next").addEventListener("click", () => search(offset + PAGE, true));
  $("history-csv").addEventListener("click", download);
  onNames(() => show(shown));  // names may have arrived or changed
  search(0);
}

/** The agent and queue choices follow the floor (keeping what is selected). */
export function fillHistoryChoices(state) {
  const form = $("history-filters");
  refill(form.agent_id, state.agents.map((a) => [String(a.id), a.name]));
  refill(form.queue, state.queues.map((q) => [q.name, q.name]));
}

function refill(select, choices) {
  const kept = select.value;
  const any = select.options[0];
  select.replaceChildren(any, ...choices.map(([value, label]) => new Option(label, value)));
  select.value = choices.some(([value]) => value === kept) ? kept : "";
}

function query() {
  const form = $("history-filters");
  const params = new URLSearchParams();
  for (const name of ["ticket", "agent_id", "reason", "queue"]) {
    if (form[name].value) params.set(name, form[name].value);
  }
  for (const name of ["from", "to"]) {  // the browser's local time, sent as UTC
    if (form[name].value) params.set(name, new Date(form[name].value).toISOString());
  }
  return params;
}

/** One page of matches. Asked by the supervisor (`reveal`), it shows it is reading at once
 * and brings the results into view when they arrive, however long the read took, so a click
 * never looks dead. */
async function search(from, reveal = false) {
  const params = query();
  params.set("limit", PAGE);
  params.set("order", "desc");  // the latest moves first
  params.set("offset", from);
  const mine = ++latest;
  busy(true);
  try {
    const page = await api("GET", `/history?${params}`);
    if (mine !== latest) return;
    offset = from;
    total = page.total;
    show(page.items);
  } catch (error) {
    if (mine === latest) toast(errorText(error), "error");
  } finally {
    if (mine === latest) {
      busy(false);
      if (reveal) bringIntoView();
    }
  }
}

function busy(reading) {
  const button = $("history-search");
  button.dataset.idleText ??= button.textContent;
  button.textContent = reading ? button.dataset.busyText : button.dataset.idleText;
  button.setAttribute("aria-disabled", String(reading));
  $("history").setAttribute("aria-busy", String(reading));
}

/** The results' heading at the top of the window, with the keyboard's focus. */
function bringIntoView() {
  const heading = $("history-results");
  heading.focus({ preventScroll: true });
  heading.scrollIntoView({ block: "start" });
}

function show(items) {
  shown = items;
  const name = (id) => (id ? agentName(id) : "");
  const rows = items.map((entry) => {
    const tr = document.createElement("tr");
    const moved = [name(entry.from_agent_id), name(entry.to_agent_id)];
    const text = [dateTime(entry.at), entry.ticket_number ?? `#${entry.ticket_id}`,
                  eventName(entry.event),
                  REASON[entry.reason] ?? entry.reason,
                  moved[0] || moved[1] ? `${moved[0] || "—"} → ${moved[1] || "—"}` : "",
                  byText(entry, agentName), why(entry.detail, agentName)];
    tr.append(...text.map((value) => {
      const td = document.createElement("td");
      td.textContent = value;
      return td;
    }));
    tr.lastChild.className = "why";
    return tr;
  });
  $("history").tBodies[0].replaceChildren(...rows);
  $("history-range").textContent = total === 0 ? t("history.none") : t("history.range", {
    first: offset + 1, last: offset + items.length, total,
  });
  $("history-prev").disabled = offset === 0;
  $("history-next").disabled = offset + items.length >= total;
}

/** A download link would lose the error message, so fetch the file and save it from memory. */
async function download() {
  try {
    const response = await apiFile(`/history.csv?${query()}`);
    const named = /filename="([^"]+)"/.exec(response.headers.get("content-disposition") ?? "");
    const url = URL.createObjectURL(await response.blob());
    const link = Object.assign(document.createElement("a"), {
      href: url, download: named ? named[1] : "giliran-history.csv",
    });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  } catch (error) {
    toast(errorText(error), "error");
  }
}
