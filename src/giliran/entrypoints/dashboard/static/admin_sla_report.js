// The SLA report in the Reports view (GET /reports/sla): for the selection, each queue and
// each agent, the share of each target's clocks met, the median first-response and
// resolution times (as the policies count them: business time for a policy in business
// hours), and the share of first responses within each threshold; the same as CSV.

import { $, api, errorText, lang, t, toast } from "./common.js";
import { agentName } from "./agent_names.js";

const percent = new Intl.NumberFormat(lang, { style: "percent", maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat(lang, { maximumFractionDigits: 1 });
let latest = 0;

export function setupSlaReport() {
  const form = $("sla-report-form");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    showSlaReport();
  });
  form.addEventListener("change", link);
  showSlaReport();
}

export function fillSlaReportChoices(state) {
  const select = $("sla-report-form").queue;
  const kept = select.value;
  select.replaceChildren(select.options[0], ...state.queues.map((q) => new Option(q.name, q.name)));
  select.value = state.queues.some((q) => q.name === kept) ? kept : "";
}

function params() {
  const form = $("sla-report-form");
  const to = new Date();
  const from = new Date(to.getTime() - Number(form.period.value) * 3600 * 1000);
  const found = new URLSearchParams({ from: from.toISOString(), to: to.toISOString() });
  if (form.queue.value) found.set("queue", form.queue.value);
  if (form.thresholds.value.trim()) found.set("thresholds", form.thresholds.value.trim());
  return found;
}

function link() {
  const query = params();
  query.set("format", "csv");
  $("sla-report-csv").href = `/api/v1/reports/sla?${query}`;
}

export async function showSlaReport() {
  link();
  const mine = ++latest;
  try {
    const report = await api("GET", `/reports/sla?${params()}`);
    if (mine === latest) draw(report);
  } catch (error) {
    toast(errorText(error), "error");
  }
}

const share = (value) => (value === null || value === undefined ? "—" : percent.format(value));
const time = (s) => (s === null || s === undefined ? "—"
  : s < 120 ? t("sla_report.seconds", { seconds: decimal.format(s) })
  : t("sla_policy.minutes", { minutes: decimal.format(s / 60) }));

function groupName(g) {
  if (g.scope === "all") return t("sla_report.all");
  if (g.scope === "queue") return t("sla_report.queue", { name: g.name });
  return g.key === "-" ? t("sla_report.nobody") : agentName(Number(g.key)) || g.name;
}

function targetCell(g, target) {
  const s = g.targets.find((x) => x.target === target);
  if (!s || !s.clocks) return "—";
  return t("sla_report.met_of", { share: share(s.met_share), met: s.met, count: s.clocks });
}

function draw(report) {
  const rows = report.groups.map((g) => {
    const tr = document.createElement("tr");
    tr.dataset.scope = g.scope;
    const levels = g.service_levels
      .map((w) => `≤${t("sla_report.seconds", { seconds: decimal.format(w.seconds) })}: ${share(w.share)}`)
      .join(" · ");
    const cells = [groupName(g), targetCell(g, "first_response"), targetCell(g, "next_response"),
                   targetCell(g, "resolution"), time(g.first_response.median),
                   time(g.resolution.median), levels];
    cells.forEach((text, i) => {
      const td = document.createElement(i === 0 ? "th" : "td");
      if (i === 0) td.scope = "row";
      else td.className = "num";
      td.textContent = text;
      tr.append(td);
    });
    return tr;
  });
  $("sla-report").tBodies[0].replaceChildren(...rows);
}
