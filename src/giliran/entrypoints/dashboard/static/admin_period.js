// Utilization, load and fairness over a chosen period (GET /stats), beside the workload: each
// agent's time online, how much of it it held work, what it received against its share.

import { $, api, errorText, lang, t, toast } from "./common.js";
import { bandName } from "./labels.js";
import { agentName, onNames } from "./agent_names.js";

const percent = new Intl.NumberFormat(lang, { style: "percent", maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat(lang, { maximumFractionDigits: 2 });
let stats = null;  // the figures shown, drawn again when agents' names change
let latest = 0;  // the last read asked: an older answer arriving after it is dropped

export function setupPeriod() {
  $("period-form").addEventListener("submit", (event) => {
    event.preventDefault();
    showPeriod();
  });
  onNames(() => { if (stats) draw(); });
  showPeriod();
}

/** The queue choices follow the floor (keeping what is selected). */
export function fillPeriodChoices(state) {
  const select = $("period-form").queue;
  const kept = select.value;
  select.replaceChildren(select.options[0], ...state.queues.map((q) => new Option(q.name, q.name)));
  select.value = state.queues.some((q) => q.name === kept) ? kept : "";
}

function range() {
  const chosen = $("period-form").period.value;
  const to = new Date();
  const from = new Date(to);
  if (chosen === "today") from.setHours(0, 0, 0, 0);
  else from.setTime(to.getTime() - Number(chosen) * 3600 * 1000);
  return { from: from.toISOString(), to: to.toISOString() };
}

const hours = (seconds) => (seconds < 3600
  ? t("period.minutes", { minutes: Math.round(seconds / 60) })
  : t("period.hours", { hours: decimal.format(seconds / 3600) }));
const share = (value) => (value === null || value === undefined ? "—" : percent.format(value));

export async function showPeriod() {
  const params = new URLSearchParams(range());
  const queue = $("period-form").queue.value;
  if (queue) params.set("queue", queue);
  const mine = ++latest;
  try {
    const read = await api("GET", `/stats?${params}`);
    if (mine !== latest) return;
    stats = read;
    draw();
  } catch (error) {
    toast(errorText(error), "error");
  }
}

function draw() {
  const fair = new Map(stats.fairness.map((f) => [String(f.agent_id), f]));
  const rows = Object.entries(stats.agents).map(([id, used]) => {
    const f = fair.get(id);
    const tr = document.createElement("tr");
    tr.dataset.agentId = id;
    const cells = [agentName(id), hours(used.online_seconds),
                   `${share(used.utilization)} ${bandName(used.band)}`.trim(),
                   share(used.load), f ? f.received : 0, f ? decimal.format(f.expected) : "—",
                   f && f.ratio !== null ? decimal.format(f.ratio) : "—"];
    cells.forEach((text, i) => {
      const td = document.createElement("td");
      td.textContent = text;
      if (i > 0) td.className = "num";
      if (i === 2 && used.band) td.dataset.band = used.band;
      tr.append(td);
    });
    return tr;
  });
  $("period").tBodies[0].replaceChildren(...rows);
  $("period-summary").textContent = t("period.summary", {
    low: percent.format(stats.utilization_band.low),
    high: percent.format(stats.utilization_band.high),
    utilization: share(stats.floor_utilization), load: share(stats.floor_load),
    gini: stats.gini === null ? "—" : decimal.format(stats.gini),
  });
}
