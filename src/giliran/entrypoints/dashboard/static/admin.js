// The supervisor's console: the floor and its queues, the workload, tickets to move, the
// rotation and the chart, live from the stream, each in its view (views.js); dialogs, the
// history and the floor's one-screen summary live in their modules.

import {
  $, actionButton, ago, api, atMostEvery, debounce, errorText, lang, oneAtATime, Stream, t, toast,
} from "./common.js";
import { signIn } from "./signin.js";
import { setupUsers, usersChanged } from "./admin_users.js";
import { schedulesEvent } from "./admin_schedules.js";
import { CLAIM, PRESENCE, SLOT, STRATEGY } from "./labels.js";
import {
  editedAgent, openAgent, openQueue, openReassign, resume, rotation, setNext, setupForms,
} from "./admin_forms.js";
import { setupRotation, showRotation } from "./admin_rotation.js";
import { setupPeople } from "./admin_people.js";
import { auditSoon, setupAudit } from "./admin_audit.js";
import { fillHistoryChoices, setupHistory } from "./admin_history.js";
import { fillPeriodChoices, setupPeriod, showPeriod } from "./admin_period.js";
import { fillSlaChoices, setupSla, slaAlert } from "./admin_sla.js";
import { fillSlaReportChoices, setupSlaReport } from "./admin_sla_report.js";
import {
  fillTicketChoices, openTicketsLink, setupTickets, showTicketsView, showTickets, ticketFilter,
} from "./admin_tickets.js";
import { drawChart } from "./chart.js";
import { queuesRead } from "./queue_boxes.js";
import { showFloorView } from "./floor_view.js";
import { fillBulkChoices, setupBulk } from "./admin_bulk.js";
import { go, setupViews } from "./views.js";
import { knowAgents } from "./agent_names.js";
import { TicketPanel } from "./admin_ticket.js";
import {
  conversationsEvent, fillConversationChoices, openConversationsLink, setupConversations,
} from "./admin_conversations.js";
import { features } from "./features.js";
import { signedIn } from "./sections.js";

// Changes the audit log shows: it is read again soon after one.
const AUDITED = new Set(["agent.changed", "queue.changed", "schedule.changed"]);

const percent = new Intl.NumberFormat(lang, { style: "percent", maximumFractionDigits: 0 });
/** What the page knows; the dialogs and the history read it too. */
const floor = { workload: null, agents: [], queues: [], tickets: [] };
let panel = null;  // a ticket's page beside the list
let signedInAs = null;  // the person at the console (GET /me)

signIn({ check: () => api("GET", "/workload"), notHere: t("admin.not_here"), start });

async function start(me) {
  signedInAs = me;
  // After the supervisor's own changes: their events bring the floor and the list back as
  // frames, so there is nothing to read (kept as a hook for the forms).
  floor.refresh = () => {};
  // The view the address names, before anything is awaited: the page is already shown, and a
  // filter the supervisor starts typing must not be reset by the link's.
  setupViews((view, params, how) => {
    if (view === "tickets") openTicketsLink(params);
    if (view === "conversations") openConversationsLink(params);
    if (how === "link") panel?.followUrl();  // another view: a ticket's page open closes
  });
  panel = new TicketPanel(floor, await features());
  setupForms(floor);
  setupHistory(floor);
  setupTickets(floor);
  setupPeople(floor, editedAgent);
  setupUsers(floor, me);
  setupRotation(floor);
  setupBulk(floor, ticketFilter);
  setupConversations(floor, panel);
  signedIn(me);  // the channels' sections (sections.js)
  bind();
  chart();
  floor.stream = new Stream({
    onEvent: (event) => {
      panel.onEvent(event);
      conversationsEvent(event);
      slaAlert(event);
      if (!event.type.startsWith("message.")) {
        chartSoon();
        periodSoon();
        if (AUDITED.has(event.type)) auditSoonish();
        if (event.type === "user.changed") usersChanged();
        schedulesEvent(event);
      }
    },
    onView,
    onReady,
  });
  floor.stream.start();
  panel.followUrl();  // a link to a ticket (/admin?ticket=<id>) opens it
  setInterval(showAgo, 5000);
  setInterval(chartSoon, 60000);
}

// The page's store (`floor`) is read on (re)connecting only; events never make it re-read: `floor` and `tickets` frames replace what they carry (the
// server works them out after the events they reflect, so the last frame is right). One read
// at a time; a frame that comes during one may be the newer, so it wins.
const refreshOnce = oneAtATime(() => refresh());
let reading = false;
let arrived = null;
let begun = false;

/** Connected (again): read the floor once; the first time, the period and the audit too. */
function onReady() {
  const read = refreshOnce();
  if (!begun) {
    begun = true;
    read.then(() => { setupPeriod(); setupAudit(); setupSla(signedInAs); setupSlaReport(); });
  }
}

function onView(view) {
  if (view.type === "tickets") showTicketsView(view);
  else if (view.type !== "floor") return;
  else if (reading) arrived = view;
  else showFloor(view);
}
// The chart and the period report replay hours of history (GET /stats): on a busy floor the
// events would ask for them every few seconds, so they follow at most once a minute, one
// request at a time (the period's Show button asks at once).
const chartSoon = atMostEvery(oneAtATime(() => chart()), 60000);
const periodSoon = atMostEvery(oneAtATime(() => showPeriod()), 60000);
const auditSoonish = debounce(() => auditSoon(), 500);

async function refresh() {
  const get = (path) => api("GET", path);
  reading = true;
  arrived = null;
  try {
    const [workload, agents, queues] = await Promise.all([
      get("/workload"), get("/agents"), get("/queues"), showTickets(),
    ]);
    showFloor({ workload, agents, queues });
    if (arrived) showFloor(arrived);
  } catch (error) {
    toast(errorText(error), "error");
  } finally {
    reading = false;
  }
}

function showFloor({ workload, agents, queues }) {
  Object.assign(floor, { workload, agents: agents.filter((a) => a.active), queues });
  knowAgents(agents);  // all of them: the tables name deactivated agents too
  showFigures();
  showFloorView(floor);
  keepFocus($("workload"), showWorkload);
  fillTicketChoices();
  fillBulkChoices();
  fillConversationChoices();
  const targets = queues.map((q) => q.service_level_seconds).filter(Boolean);
  if (series && (targets.length ? Math.min(...targets) / 60 : null) !== drawnTarget) drawSeries();
  showRotation();  // keeps its own focus: a member is in every queue it serves
  fillHistoryChoices(floor);
  panel.namesChanged();
  fillPeriodChoices(floor);
  fillSlaChoices(floor);
  fillSlaReportChoices(floor);
  queuesRead(queues);
  showAgo();
}

let series = null;  // the chart's latest figures, redrawn when a queue's target changes
let drawnTarget;

async function chart() {
  try {
    series = await api("GET", "/stats/series?hours=6&bucket_minutes=15");
    drawSeries();
  } catch (error) {
    toast(errorText(error), "error");
  }
}

/** The target line: the tightest queue's service-level target, in minutes. */
function drawSeries() {
  const targets = floor.queues.map((q) => q.service_level_seconds).filter(Boolean);
  drawnTarget = targets.length ? Math.min(...targets) / 60 : null;
  drawChart($("chart"), series, drawnTarget);
}

const field = (root, name) => root.querySelector(`[data-field="${name}"]`);
const cell = (text, className) => {
  const td = document.createElement("td");
  td.textContent = text;
  if (className) td.className = className;
  return td;
};
const button = actionButton;

/** Redraw a part of the page without losing the keyboard's place in it. */
function keepFocus(container, draw) {
  const focused = document.activeElement;
  const inside = container.contains(focused) && focused.dataset.action;
  draw();
  if (inside) {
    container.querySelector(`[data-action="${focused.dataset.action}"][data-id="${focused.dataset.id}"]`)
      ?.focus();
  }
}

function showFigures() {
  const w = floor.workload;
  const all = $("floor-figure");
  field(all, "pending").textContent = w.queue.pending;
  field(all, "online").textContent = `${w.queue.online_agents}/${w.queue.total_agents}`;
  field(all, "free").textContent = w.queue.free_slots;
  // Counted by the server per queue (the flagged list itself is capped).
  field(all, "flagged").textContent = w.queues.reduce((sum, q) => sum + q.flagged, 0);
  showUnreachable(field(all, "unreachable"), w.queue.unreachable);
  const kept = new Map([...$("queue-figures").querySelectorAll(":scope > [data-queue]")]
    .map((el) => [el.dataset.queue, el]));
  for (const q of w.queues) {
    let box = kept.get(q.name);
    kept.delete(q.name);
    if (!box) {
      box = $("queue-figure-template").content.firstElementChild.cloneNode(true);
      box.dataset.queue = q.name;
      $("queue-figures").append(box);
    }
    const policy = floor.queues.find((x) => x.name === q.name);
    field(box, "name").textContent = q.active ? q.name : `${q.name} (${t("admin.inactive")})`;
    field(box, "strategy").textContent = STRATEGY[q.strategy];
    field(box, "pending").textContent = q.pending;
    field(box, "oldest").dataset.ago = q.oldest_waiting_since ?? "";
    field(box, "online").textContent = `${q.online_members}/${q.members}`;
    field(box, "free").textContent = q.free_slots;
    field(box, "limit").textContent = q.max_per_agent
      ? t("admin.limit_until", { count: q.max_per_agent, until: SLOT[policy?.slot_freed_on] ?? "" })
      : "—";
    field(box, "claim").textContent = q.pickup === "off" ? t("pickup.off") : CLAIM[q.claim];
    field(box, "flagged").textContent = q.flagged;
    showUnreachable(field(box, "unreachable"), q.unreachable);
    showLevel(box, q.service_level);
    showNext(field(box, "next"), q);
    box.querySelector("button").setAttribute("aria-label", t("admin.queue_settings_for", { name: q.name }));
  }
  for (const gone of kept.values()) gone.remove();
}

/** Tickets nobody can take as things stand: a warning, since no one will answer them. */
function showUnreachable(dd, count) {
  dd.textContent = count ?? 0;
  dd.classList.toggle("warning", count > 0);
  dd.previousElementSibling.classList.toggle("warning", count > 0);
}

/** Today's service level on a queue's card: answered within its target (late unanswered
 * tickets count as misses), waits (those still waiting count with their age so far), first
 * response. */
function showLevel(box, level) {
  if (!level) return;
  field(box, "sla-label").textContent = t("sla.within", { minutes: minutes(level.target_seconds) });
  const late = level.late ? ` · ${t("sla.late", { count: level.late })}` : "";
  field(box, "sla").textContent = (level.share_within_target === null ? "—"
    : `${percent.format(level.share_within_target)} (${level.within_target}/${level.counted})`) + late;
  field(box, "wait").textContent = level.wait_median === null ? "—"
    : `${duration(level.wait_median)} / ${duration(level.wait_p90)}`;
  field(box, "first-response").textContent = duration(level.first_response_median);
}

const minutes = (seconds) => Math.round((seconds / 60) * 10) / 10;

/** 75 -> "1m 15s"; null -> "—". */
function duration(seconds) {
  if (seconds === null || seconds === undefined) return "—";
  const s = Math.round(seconds);
  if (s < 60) return t("time.seconds", { s });
  const m = Math.floor(s / 60);
  return m < 60 ? t("time.minutes", { m, s: s % 60 }) : t("time.hours", { h: Math.floor(m / 60), m: m % 60 });
}

/** Who is next in turn, and the supervisor's choice of it ("next in turn: ▾"). */
function showNext(select, q) {
  select.dataset.pointer = q.name;
  select.setAttribute("aria-label", t("admin.next_in_turn_for", { name: q.name }));
  if (document.activeElement === select) return;  // the supervisor is choosing
  const members = rotation(floor.agents.filter((a) => a.queues.includes(q.name)));
  const options = members.map((a) => new Option(a.name, a.id));
  if (!q.next_agent_id) options.unshift(new Option("—", ""));
  select.replaceChildren(...options);
  select.value = q.next_agent_id ?? "";
  select.disabled = q.strategy === "random" || members.length === 0;
}

function showWorkload() {
  const rows = floor.workload.agents.map((a) => {
    const tr = document.createElement("tr");
    tr.dataset.agentId = a.id;
    const presence = document.createElement("span");
    presence.className = "badge";
    presence.dataset.presence = a.presence;
    presence.textContent = PRESENCE[a.presence];
    const active = document.createElement("td");
    const count = document.createElement("span");
    count.dataset.field = "count";
    count.textContent = `${a.active_tickets}/${a.max_tickets}`;
    const bar = document.createElement("span");
    bar.className = a.full ? "bar full" : "bar";
    bar.setAttribute("aria-hidden", "true");
    bar.append(document.createElement("span"));
    bar.firstChild.style.width = `${Math.min(100, (a.utilization ?? 1) * 100)}%`;
    active.append(count, bar, a.utilization === null ? "—" : percent.format(a.utilization));
    if (a.full) {
      const full = document.createElement("span");
      full.className = "badge full";
      full.textContent = t("admin.full");
      active.append(" ", full);
    }
    if (a.last_assigned_at) {  // beside the load, where the presence cell has no room left
      const last = document.createElement("span");
      last.className = "meta last-assigned";
      last.textContent = t("admin.last_assigned", { ago: ago(a.last_assigned_at) });
      active.append(last);
    }
    const actions = document.createElement("td");
    actions.append(button(t("admin.agent_settings"), t("admin.agent_settings_for", { name: a.name }),
                          "agent-settings", a.id));
    const presenceCell = document.createElement("td");
    presenceCell.append(presence);
    for (const p of a.paused) {
      const paused = document.createElement("span");
      paused.className = "badge paused";
      paused.textContent = t("admin.paused_in", { queue: p.queue, count: p.missed_in_row });
      paused.title = t("admin.paused_since", { since: ago(p.since) });
      const lift = button(t("admin.resume"), t("admin.resume_for", { name: a.name, queue: p.queue }),
                          "resume", a.id);
      lift.dataset.queue = p.queue;
      presenceCell.append(" ", paused, " ", lift);
    }
    // The earliest pause, as the workload's away_reason says it (in English), in the page's words.
    const firstPause = [...a.paused].sort((x, y) => Date.parse(x.since) - Date.parse(y.since))[0];
    const seen = document.createElement("span");
    seen.className = "meta";
    seen.textContent = [
      a.presence_since ? t("admin.presence_since", { ago: ago(a.presence_since) }) : "",
      a.last_seen_at ? t("admin.last_seen", { ago: ago(a.last_seen_at) }) : "",
      firstPause ? t("admin.away_reason", { count: firstPause.missed_in_row }) : "",
    ].filter(Boolean).join(" · ");
    presenceCell.append(seen);
    presenceCell.className = "presence-cell";
    tr.append(cell(a.name), presenceCell, active, cell(a.missed_today, "num"),
              cell(a.assigned_today, "num"), cell(a.completed_today, "num"),
              cell(duration(a.first_response_median_today), "num"),
              cell(duration(a.handle_time_median_today), "num"),
              cell(a.utilization_online_today === null ? "—" : percent.format(a.utilization_online_today), "num"),
              cell(a.auto_assign ? t("common.yes") : t("common.no")),
              cell(a.queues.join(", ")), actions);
    return tr;
  });
  $("workload").tBodies[0].replaceChildren(...rows);
}

function showAgo() {
  for (const el of document.querySelectorAll("[data-ago]")) {
    el.textContent = el.dataset.ago ? ago(el.dataset.ago) : "—";
  }
}

function bind() {
  document.addEventListener("click", (event) => {
    const target = event.target.closest("button[data-action]");
    if (!target) return;
    const id = Number(target.dataset.id);
    const action = target.dataset.action;
    if (action === "reassign") openReassign(floor.tickets.find((x) => x.id === id));
    else if (action === "conversation") panel.open(id);
    else if (action === "history") panel.open(id, { part: "history" });
    else if (action === "agent-settings") openAgent(floor.agents.find((a) => a.id === id));
    else if (action === "queue-settings") openQueue(target.closest("[data-queue]").dataset.queue);
    else if (action === "resume") resume(id, target.dataset.queue);
  });
  document.addEventListener("change", (event) => {
    const select = event.target.closest('select[data-action-select="pointer"]');
    if (select && select.value) setNext(select.dataset.pointer, Number(select.value));
  });
}
