// The SLA policies in the Queues view: listed in the order they are tried (the first active
// one whose conditions match a ticket applies), moved up and down, created and edited in a
// dialog (targets flat or per priority, in minutes; business hours; the warning's share; the
// statuses that pause the clock; what a breach does). Also the supervisor's own Telegram link,
// where the alerts of its queues come.

import { $, api, errorText, lang, t, toast } from "./common.js";

const TARGETS = ["first_response", "next_response", "resolution"];
const PRIORITIES = ["urgent", "high", "normal", "low"];
const minutes = new Intl.NumberFormat(lang, { maximumFractionDigits: 1 });
let policies = [];
let queues = [];
let editing = null;  // the policy in the dialog; null: a new one

const CONFIGURES = new Set(["owner", "admin"]);

export function setupSla(me) {
  $("sla-telegram").addEventListener("click", linkTelegram);
  $("sla-telegram-off").addEventListener("click", unlinkTelegram);
  readTelegram();
  if (!CONFIGURES.has(me?.role)) return hidePolicies();  // a supervisor: alerts, not policies
  $("new-sla").addEventListener("click", () => open(null));
  $("sla-form").addEventListener("submit", save);
  for (const radio of $("sla-form").querySelectorAll("input[name=mode]")) {
    radio.addEventListener("change", showMode);
  }
  $("sla-policies").addEventListener("click", onRowClick);
  readPolicies();
}

/** An SLA warning or breach on a ticket of the queues this console watches. */
export function slaAlert(event) {
  if (event.type !== "sla.warning" && event.type !== "sla.breached") return;
  const number = event.ticket?.number ?? event.number ?? "";
  const target = label(event.target);
  if (event.type === "sla.warning") toast(t("sla_policy.alert_warning", { number, target }), "warn");
  else toast(t("sla_policy.alert_breached", { number, target }), "error");
}

/** The queue choices follow the floor. */
export function fillSlaChoices(state) {
  queues = state.queues.map((q) => q.name);
}

async function readPolicies() {
  try {
    policies = (await api("GET", "/sla-policies")).items;
    draw();
  } catch (error) {
    toast(errorText(error), "error");
  }
}

function hidePolicies() {
  for (const id of ["new-sla", "sla-hint"]) $(id).hidden = true;
  $("sla-policies").closest(".table-wrap").hidden = true;
}

const seconds = (target) => `${target}_seconds`;

function targetText(budget) {
  return TARGETS.filter((x) => budget[seconds(x)])
    .map((x) => `${label(x)} ${t("sla_policy.minutes", { minutes: minutes.format(budget[seconds(x)] / 60) })}`)
    .join(" · ");
}

function label(target) {
  if (target === "first_response") return t("sla_policy.first_response");
  if (target === "next_response") return t("sla_policy.next_response");
  return t("sla_policy.resolution");
}

function priorityName(p) {
  return { urgent: t("priority.urgent"), high: t("priority.high"), normal: t("priority.normal"),
           low: t("priority.low") }[p] ?? p;
}

function perPriority(targets) {
  return PRIORITIES.some((p) => targets[p]);
}

function breachText(actions) {
  if (!actions.length) return "—";
  return actions.map((a) => (a.action === "move" ? `${t("sla_policy.move")} ${a.queue}`
    : a.action === "reassign" ? t("sla_policy.reassign") : t("sla_policy.raise_priority"))).join("\n");
}

function appliesText(c) {
  const parts = [];
  if (c.queues?.length) parts.push(c.queues.join(", "));
  if (c.priorities?.length) parts.push(c.priorities.map(priorityName).join(", "));
  if (c.channels?.length) parts.push(c.channels.join(", "));
  return parts.length ? parts.join(" · ") : t("sla_policy.any_ticket");
}

function draw() {
  const rows = policies.map((p, i) => {
    const tr = document.createElement("tr");
    tr.dataset.id = p.id;
    const targets = perPriority(p.targets)
      ? PRIORITIES.filter((x) => p.targets[x]).map((x) => `${priorityName(x)}: ${targetText(p.targets[x])}`).join("\n")
      : targetText(p.targets);
    const cells = [String(i + 1), p.active ? p.name : `${p.name} (${t("sla_policy.inactive")})`,
                   appliesText(p.conditions ?? {}), targets,
                   p.business_hours ? t("sla_policy.business") : t("sla_policy.calendar"),
                   breachText(p.breach_actions)];
    for (const text of cells) {
      const td = document.createElement("td");
      td.textContent = text;
      td.className = "lines";
      tr.append(td);
    }
    const actions = document.createElement("td");
    const buttons = document.createElement("div");
    buttons.className = "row";
    actions.append(buttons);
    buttons.append(button("↑", t("sla_policy.up", { name: p.name }), "up", i === 0),
                   button("↓", t("sla_policy.down", { name: p.name }), "down", i === policies.length - 1),
                   button(t("sla_policy.edit"), t("sla_policy.edit_named", { name: p.name }), "edit", false),
                   button(t("sla_policy.delete"), t("sla_policy.delete_named", { name: p.name }), "delete", false));
    tr.append(actions);
    return tr;
  });
  $("sla-policies").tBodies[0].replaceChildren(...rows);
  $("sla-empty").hidden = policies.length > 0;
}

function button(text, name, action, disabled) {
  const b = document.createElement("button");
  b.type = "button";
  b.className = "quiet";
  b.textContent = text;
  b.setAttribute("aria-label", name);
  b.dataset.action = action;
  b.disabled = disabled;
  return b;
}

async function onRowClick(event) {
  const b = event.target.closest("button[data-action]");
  if (!b) return;
  const id = Number(b.closest("tr").dataset.id);
  const policy = policies.find((p) => p.id === id);
  if (b.dataset.action === "edit") return open(policy);
  try {
    if (b.dataset.action === "delete") {
      if (!confirm(t("sla_policy.confirm_delete", { name: policy.name }))) return;
      await api("DELETE", `/sla-policies/${id}`);
      toast(t("sla_policy.deleted", { name: policy.name }));
    } else {
      const ids = policies.map((p) => p.id);
      const at = ids.indexOf(id);
      const to = b.dataset.action === "up" ? at - 1 : at + 1;
      [ids[at], ids[to]] = [ids[to], ids[at]];
      await api("PUT", "/sla-policies/order", { ids });
    }
  } catch (error) {
    toast(errorText(error), "error");
  }
  readPolicies();
}

function open(policy) {
  editing = policy;
  const form = $("sla-form");
  form.reset();
  $("sla-error").textContent = "";
  $("sla-dialog-title").textContent = policy ? t("sla_policy.edit_title", { name: policy.name }) : t("sla_policy.new");
  const c = policy?.conditions ?? {};
  $("sla-queues").replaceChildren(...queues.map((q) => check("queue", q, c.queues?.includes(q))));
  $("sla-move-queue").replaceChildren(...queues.map((q) => new Option(q, q)));
  if (policy) fill(form, policy);
  showMode();
  $("sla-dialog").showModal();
}

function check(name, value, checked) {
  const box = document.createElement("label");
  box.className = "check";
  const input = document.createElement("input");
  input.type = "checkbox";
  input.name = name;
  input.value = value;
  input.checked = Boolean(checked);
  box.append(input, ` ${value}`);
  return box;
}

function fill(form, p) {
  form.name.value = p.name;
  form.active.checked = p.active;
  form.business_hours.checked = p.business_hours;
  form.warn_percent.value = p.warn_percent;
  const c = p.conditions ?? {};
  for (const box of form.querySelectorAll("input[name=priority]")) box.checked = Boolean(c.priorities?.includes(box.value));
  for (const box of form.querySelectorAll("input[name=channel]")) box.checked = Boolean(c.channels?.includes(box.value));
  for (const box of form.querySelectorAll("input[name=pause]")) box.checked = p.pause_statuses.includes(box.value);
  const per = perPriority(p.targets);
  form.querySelector(`input[name=mode][value=${per ? "per_priority" : "flat"}]`).checked = true;
  for (const row of $("sla-targets").tBodies[0].rows) {
    const budget = per ? p.targets[row.dataset.priority] ?? {} : (row.dataset.priority === "*" ? p.targets : {});
    for (const input of row.querySelectorAll("input")) {
      const value = budget[seconds(input.dataset.target)];
      input.value = value ? String(value / 60) : "";
    }
  }
  const actions = new Map(p.breach_actions.map((a) => [a.action, a]));
  form.raise_priority.checked = actions.has("raise_priority");
  form.reassign.checked = actions.has("reassign");
  form.move.checked = actions.has("move");
  if (actions.has("move")) form.move_queue.value = actions.get("move").queue;
}

function showMode() {
  const per = $("sla-form").querySelector("input[name=mode]:checked").value === "per_priority";
  for (const row of $("sla-targets").tBodies[0].rows) row.hidden = (row.dataset.priority === "*") === per;
}

function budgetOf(row) {
  const budget = {};
  for (const input of row.querySelectorAll("input")) {
    if (input.value) budget[seconds(input.dataset.target)] = Math.round(Number(input.value) * 60);
  }
  return budget;
}

function body(form) {
  const picked = (name) => [...form.querySelectorAll(`input[name=${name}]:checked`)].map((i) => i.value);
  const conditions = {};
  for (const [key, name] of [["queues", "queue"], ["priorities", "priority"], ["channels", "channel"]]) {
    if (picked(name).length) conditions[key] = picked(name);
  }
  const rows = [...$("sla-targets").tBodies[0].rows];
  const per = form.querySelector("input[name=mode]:checked").value === "per_priority";
  let targets = budgetOf(rows[0]);
  if (per) {
    targets = {};
    for (const row of rows.slice(1)) {
      const budget = budgetOf(row);
      if (Object.keys(budget).length) targets[row.dataset.priority] = budget;
    }
  }
  const actions = [];
  if (form.raise_priority.checked) actions.push({ action: "raise_priority" });
  if (form.reassign.checked) actions.push({ action: "reassign" });
  if (form.move.checked) actions.push({ action: "move", queue: form.move_queue.value });
  return {
    name: form.name.value.trim(), active: form.active.checked, conditions, targets,
    business_hours: form.business_hours.checked, warn_percent: Number(form.warn_percent.value),
    pause_statuses: picked("pause"), breach_actions: actions,
  };
}

async function save(event) {
  event.preventDefault();
  const form = $("sla-form");
  const sent = body(form);
  try {
    if (editing) await api("PATCH", `/sla-policies/${editing.id}`, sent);
    else await api("POST", "/sla-policies", sent);
    $("sla-dialog").close();
    toast(t("sla_policy.saved", { name: sent.name }));
    readPolicies();
  } catch (error) {
    $("sla-error").textContent = errorText(error);
  }
}

/** The own Telegram chat: offered while the desk has a bot; "stop" once it is linked. */
async function readTelegram() {
  try {
    const state = await api("GET", "/supervisor/telegram");
    $("sla-telegram").hidden = !state.enabled || state.linked;
    $("sla-telegram-off").hidden = !state.linked;
    if (state.linked) $("sla-telegram-said").textContent = t("sla_policy.telegram_linked");
  } catch {
    $("sla-telegram").hidden = true;
  }
}

async function unlinkTelegram() {
  try {
    await api("DELETE", "/supervisor/telegram");
    $("sla-telegram-said").textContent = t("sla_policy.telegram_unlinked");
    $("sla-telegram-off").hidden = true;
    $("sla-telegram").hidden = false;
  } catch (error) {
    toast(errorText(error), "error");
  }
}

async function linkTelegram() {
  try {
    const code = await api("POST", "/supervisor/telegram-code", { language: lang });
    $("sla-telegram-said").textContent = t("sla_policy.telegram_code", { command: code.send_to_bot });
  } catch (error) {
    $("sla-telegram-said").textContent = errorText(error);
  }
}
