// What if: the desk's last days replayed as it is and with one setting changed, side by side.

import { $, api, ApiError, errorText, lang, t } from "./common.js";
import { signIn } from "./signin.js";
import { STRATEGY } from "./labels.js";

const CHOICES = {
  strategy: Object.keys(STRATEGY).map((v) => [v, STRATEGY[v]]),
  slot_freed_on: [["complete", t("whatif.on_complete")], ["accept", t("whatif.on_accept")]],
  offline_policy: [["keep", t("whatif.keep")], ["requeue", t("whatif.requeue")],
                   ["requeue_all", t("whatif.requeue_all")]],
};
// The figures shown, in the report's names, with how to read them.
const FIGURES = [
  ["wait_mean", t("whatif.wait_mean"), "minutes"], ["wait_p90", t("whatif.wait_p90"), "minutes"],
  ["within_target", t("whatif.within_target"), "percent"],
  ["assign_mean", t("whatif.assign_mean"), "seconds"],
  ["utilization", t("whatif.utilization"), "percent"],
  ["fairness_gini", t("whatif.gini"), "plain"], ["escalations", t("whatif.escalations"), "count"],
  ["flagged", t("whatif.flagged"), "count"], ["orphans", t("whatif.orphans"), "count"],
  ["tickets", t("whatif.tickets"), "count"],
  ["sla_met", t("whatif.sla_met"), "percent"], ["sla_breached", t("whatif.sla_breached"), "percent"],
];
const WEEK = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
// What-if is the console's: an agent (who may read the queues) is told so before trying.
const consoleOnly = (me) => (me.role === "agent"
  ? Promise.reject(new ApiError(403, "forbidden", "the console's page")) : api("GET", "/queues"));
signIn({ check: consoleOnly, notHere: t("admin.not_here"), start });

function start(_me, queues) {
  $("whatif-queue").replaceChildren(...queues.map((q) => new Option(q.name, q.name)));
  $("whatif-kind").addEventListener("change", showKind);
  $("whatif-setting").addEventListener("change", showValue);
  $("whatif-form").addEventListener("submit", (event) => { event.preventDefault(); run(); });
  showKind();
  showValue();
}

function showKind() {
  const kind = $("whatif-kind").value;
  for (const el of document.querySelectorAll("[data-for]")) {
    el.hidden = !el.dataset.for.split(" ").includes(kind);
  }
}

function showValue() {
  const choices = CHOICES[$("whatif-setting").value];
  $("whatif-choice").hidden = !choices;
  $("whatif-number").hidden = Boolean(choices);
  if (choices) $("whatif-choice").replaceChildren(...choices.map(([v, l]) => new Option(l, v)));
  $("whatif-choice").setAttribute("aria-labelledby", "whatif-value");
}

/** Opening hours as POST /schedules takes them: the same interval on the first `days`. */
function hours(opens, closes) {
  const days = WEEK.slice(0, Number($("whatif-open-days").value));
  return { timezone: $("whatif-timezone").value.trim(),
           hours: Object.fromEntries(days.map((d) => [d, [[opens, closes]]])) };
}

const minutes = (id) => Math.round(Number($(id).value) * 60);

/** What the request says besides the change: the target, and the hours as they are. */
function context() {
  const extra = {};
  if ($("whatif-target").value) {
    extra.sla = { first_response_seconds: minutes("whatif-target"),
                  business_hours: $("whatif-target-business").checked };
  }
  if ($("whatif-kind").value === "hours") {
    extra.hours = { [$("whatif-queue").value]: hours($("whatif-opens-now").value,
                                                     $("whatif-closes-now").value) };
  }
  return extra;
}

function change() {
  const kind = $("whatif-kind").value;
  if (kind === "capacity") return { max_tickets: Number($("whatif-capacity").value) };
  if (kind === "sla") return { first_response_seconds: minutes("whatif-target-new") };
  if (kind === "hours") {
    return { queue: $("whatif-queue").value,
             hours: hours($("whatif-opens-new").value, $("whatif-closes-new").value) };
  }
  const setting = $("whatif-setting").value;
  const value = CHOICES[setting] ? $("whatif-choice").value : Number($("whatif-number").value);
  return { queue: $("whatif-queue").value, setting, value };
}

async function run() {
  $("whatif-error").textContent = "";
  $("whatif-run").disabled = true;
  $("whatif-status").textContent = t("whatif.running");
  try {
    const answer = await api("POST", "/simulations", {
      days: Number($("whatif-days").value), change: change(), ...context(),
      replications: Number($("whatif-replications").value),
    });
    show(answer, changeLabel());
    $("whatif-status").textContent = t("whatif.done", {
      tickets: answer.simulated_tickets, seconds: answer.wall_seconds.toFixed(1) });
  } catch (error) {
    $("whatif-status").textContent = "";
    $("whatif-error").textContent = errorText(error);
  } finally {
    $("whatif-run").disabled = false;
  }
}

/** The changed column's heading in the page's language (the report names it in English). */
function changeLabel() {
  const kind = $("whatif-kind").value;
  if (kind === "hours") {
    return t("whatif.with_hours", { queue: $("whatif-queue").value,
      opens: $("whatif-opens-new").value, closes: $("whatif-closes-new").value });
  }
  if (kind === "sla") return t("whatif.with_target", { minutes: $("whatif-target-new").value });
  return null;
}

function show(answer, label) {
  // What really happened first (the dashboard's figures over the same days), then the model.
  const columns = [
    ...(answer.recorded ? [{ name: t("whatif.recorded"), figures: recordedFigures(answer) }] : []),
    ...answer.report.policies.map((p, i) => ({
      name: i === 0 ? t("whatif.as_it_is") : label || t("whatif.with_change", { change: p.name }),
      figures: p.figures,
    })),
  ];
  const head = $("whatif-table").tHead.rows[0];
  head.replaceChildren(head.cells[0], ...columns.map((c) => {
    const th = document.createElement("th");
    th.scope = "col";
    th.textContent = c.name;
    return th;
  }));
  const measured = answer.report.policies[0].figures;
  const shown = FIGURES.filter(([name]) => !name.startsWith("sla_") || name in measured);
  $("whatif-table").tBodies[0].replaceChildren(...shown.map(([name, label, unit]) => {
    const tr = document.createElement("tr");
    const th = document.createElement("th");
    th.scope = "row";
    th.textContent = label;
    tr.append(th, ...columns.map((c) => {
      const td = document.createElement("td");
      td.className = "num";
      td.dataset.figure = name;
      td.textContent = figure(c.figures[name], unit);
      return td;
    }));
    return tr;
  }));
  $("whatif-result").hidden = false;
}

/** The record's figures, in the report's shape (a mean, no spread: it happened once). */
function recordedFigures(answer) {
  return Object.fromEntries(Object.entries(answer.recorded)
    .map(([name, value]) => [name, { mean: value, ci95: null }]));
}

function figure(value, unit) {
  if (!value || value.mean === null || value.mean === undefined) return "—";
  const scale = { minutes: 1 / 60, percent: 100, seconds: 1, plain: 1, count: 1 }[unit];
  const suffix = { minutes: " min", percent: " %", seconds: " s", plain: "", count: "" }[unit];
  const digits = unit === "plain" ? 2 : 1;
  const spread = value.ci95 ? ` ± ${number(value.ci95 * scale, unit === "count" ? 0 : digits)}` : "";
  return `${number(value.mean * scale, digits)}${spread}${suffix}`;
}

/** Whole numbers as whole ("2,009", not "2009.00"); others with `digits` decimals. */
function number(value, digits) {
  const whole = Number.isInteger(Math.round(value * 1e6) / 1e6);
  return new Intl.NumberFormat(lang, {
    minimumFractionDigits: whole ? 0 : digits, maximumFractionDigits: whole ? 0 : digits,
  }).format(value);
}
