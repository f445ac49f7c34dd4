// The audit log of changes to agents, queues and settings: filters, pages (newest first), CSV.

import { $, api, apiFile, dateTime, errorText, t, toast } from "./common.js";
import { byText } from "./labels.js";
import { agentName, onNames } from "./agent_names.js";

const PAGE = 50;
let offset = 0;
let total = 0;
let shown = [];

export function setupAudit() {
  $("audit-filters").addEventListener("submit", (event) => {
    event.preventDefault();
    search(0);
  });
  $("audit-prev").addEventListener("click", () => search(Math.max(0, offset - PAGE)));
  $("audit-next").addEventListener("click", () => search(offset + PAGE));
  $("audit-csv").addEventListener("click", download);
  onNames(() => show(shown));  // names may have arrived or changed: redraw what is shown
  search(0);
}

/** A new change was made (any event may be one): show the first page again if it is open. */
export function auditSoon() {
  if (offset === 0) search(0);
}

function query() {
  const form = $("audit-filters");
  const params = new URLSearchParams();
  for (const name of ["kind", "subject"]) {
    if (form[name].value.trim()) params.set(name, form[name].value.trim());
  }
  for (const name of ["from", "to"]) {
    if (form[name].value) params.set(name, new Date(form[name].value).toISOString());
  }
  return params;
}

async function search(from) {
  const params = query();
  params.set("limit", PAGE);
  params.set("offset", from);
  try {
    const page = await api("GET", `/audit?${params}`);
    offset = from;
    total = page.total;
    show(page.items);
  } catch (error) {
    toast(errorText(error), "error");
  }
}

function subject(entry) {
  if (entry.kind === "agent") {
    return t("audit.subject_agent", { name: agentName(entry.subject) });
  }
  if (entry.kind === "queue") return t("audit.subject_queue", { name: entry.subject });
  return t("audit.subject_settings", { name: entry.subject });
}

const value = (v) => (v === null || v === undefined ? "—"
  : typeof v === "object" ? JSON.stringify(v) : String(v));

/** "max_tickets: 5 → 2; queues: ["sales"] → ["default","sales"]" */
function change(entry) {
  const after = entry.after ?? {};
  if (!entry.before) return t("audit.created_with", { fields: Object.keys(after).length });
  const shown = (key, v) => (key === "next_agent_id" && v ? agentName(v) : value(v));
  return Object.keys(after)
    .map((key) => `${key}: ${shown(key, entry.before[key])} → ${shown(key, after[key])}`)
    .join("; ");
}

function show(items) {
  shown = items;
  const rows = items.map((entry) => {
    const tr = document.createElement("tr");
    for (const text of [dateTime(entry.at), byText(entry, agentName), subject(entry), entry.action,
                        change(entry)]) {
      const td = document.createElement("td");
      td.textContent = text;
      tr.append(td);
    }
    tr.lastChild.className = "why";
    return tr;
  });
  $("audit").tBodies[0].replaceChildren(...rows);
  $("audit-range").textContent = total === 0 ? t("history.none") : t("history.range", {
    first: offset + 1, last: offset + items.length, total,
  });
  $("audit-prev").disabled = offset === 0;
  $("audit-next").disabled = offset + items.length >= total;
}

async function download() {
  try {
    const response = await apiFile(`/audit.csv?${query()}`);
    const named = /filename="([^"]+)"/.exec(response.headers.get("content-disposition") ?? "");
    const url = URL.createObjectURL(await response.blob());
    const link = Object.assign(document.createElement("a"), {
      href: url, download: named ? named[1] : "giliran-audit.csv",
    });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  } catch (error) {
    toast(errorText(error), "error");
  }
}
