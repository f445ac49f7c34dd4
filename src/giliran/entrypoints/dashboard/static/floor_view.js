// The Floor view: what needs the supervisor first (flagged and unreachable tickets, failed
// replies, open queues with nobody online), a line per queue (with its opening hours when it
// keeps a schedule), a compact line per agent. Drawn from
// the page's store whenever a floor frame (or the first read) replaces it: nothing here reads
// on its own, and names come with the workload itself, so a line never waits for another list.

import { $, clock, lang, t } from "./common.js";
import { PRESENCE } from "./labels.js";

const percent = new Intl.NumberFormat(lang, { style: "percent", maximumFractionDigits: 0 });

export function showFloorView(floor) {
  const w = floor.workload;
  if (!w) return;
  showAlerts(w);
  showQueues(w);
  showAgents(w);
}

function link(text, href) {
  const a = document.createElement("a");
  a.href = href;
  a.textContent = text;
  return a;
}

function alertItem(kind, ...content) {
  const li = document.createElement("li");
  li.className = `alert ${kind}`;
  li.append(...content);
  return li;
}

function showAlerts(w) {
  const items = [];
  const flagged = w.queues.reduce((sum, q) => sum + q.flagged, 0);
  if (flagged) {
    items.push(alertItem("bad", link(t("floor.alert_flagged", { count: flagged }),
                                     "/admin/tickets?flagged=true")));
  }
  const unreachable = w.queue.unreachable ?? 0;
  if (unreachable) {
    items.push(alertItem("bad", link(t("floor.alert_unreachable", { count: unreachable }),
                                     "/admin/tickets?status=queued&flagged=true")));
  }
  if (w.failed_replies) {
    items.push(alertItem("bad", t("floor.alert_failed", { count: w.failed_replies })));
  }
  // A closed queue with nobody online is the night as planned: its row says until when.
  for (const q of w.queues.filter((x) => x.active && x.online_members === 0 && x.open !== false)) {
    items.push(alertItem(q.pending ? "bad" : "warn", link(
      t("floor.alert_nobody", { queue: q.name, count: q.pending }), "/admin/queues")));
  }
  if (!items.length) items.push(alertItem("ok", t("floor.all_clear")));
  $("floor-alerts").replaceChildren(...items);
}

function num(value, warn = false, wide = false) {
  const td = document.createElement("td");
  td.className = `num${warn ? " warning" : ""}${wide ? " wide-only" : ""}`;
  td.textContent = value;
  return td;
}

function level(q) {
  const l = q.service_level;
  const td = num("—", false, true);
  if (!l || l.share_within_target === null) return td;
  td.textContent = percent.format(l.share_within_target);
  td.title = t("floor.level_detail", { within: l.within_target, counted: l.counted,
                                      late: l.late, waiting: l.waiting });
  // Below the desk's usual 80% within target: the supervisor's eye goes there first.
  td.classList.toggle("warning", l.share_within_target < 0.8);
  return td;
}

function oldest(since) {
  const td = document.createElement("td");
  td.className = "wide-only";
  td.dataset.ago = since ?? "";  // kept current by the page's clock (showAgo)
  return td;
}

const DAY = 24 * 3600 * 1000;

// A change of opening in the viewer's own time, with its zone's name ("17:00 WIB", "Sat 08:00
// GMT+7"), so a supervisor in another city reads it right: the weekday only when it is not
// today, the date only when it is a week or more away.
function when(iso) {
  const at = new Date(iso);
  const now = new Date(clock.now());
  const options = { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZoneName: "short" };
  if (at.toDateString() !== now.toDateString()) {
    Object.assign(options, at - now < 6 * DAY ? { weekday: "short" }
      : { day: "numeric", month: "short" });
  }
  return new Intl.DateTimeFormat(lang, options).format(at);
}

// Open until / closed until, for a queue that keeps a schedule (one without is always open,
// and says nothing).
function hoursBadge(q) {
  const until = q.open ? q.open_until : q.closed_until;
  if (q.open !== false && !until) return null;
  const badge = document.createElement("span");
  badge.className = `badge hours ${q.open ? "open" : "closed"}`;
  badge.dataset.until = until ?? "";
  if (!until) {
    badge.textContent = t("floor.closed");
    return badge;
  }
  const at = when(until);
  badge.textContent = q.open ? t("floor.open_until", { when: at })
    : t("floor.closed_until", { when: at });
  badge.title = t("floor.hours_local", {
    when: new Intl.DateTimeFormat(lang, { dateStyle: "full", timeStyle: "long", hourCycle: "h23" })
      .format(new Date(until)) });
  return badge;
}

function queueRow(q) {
  const tr = document.createElement("tr");
  tr.dataset.floorQueue = q.name;
  const name = document.createElement("th");
  name.scope = "row";
  name.textContent = q.active ? q.name : `${q.name} (${t("admin.inactive")})`;
  const hours = hoursBadge(q);
  if (hours) name.append(" ", hours);
  tr.append(name, num(q.pending), oldest(q.oldest_waiting_since), level(q),
            num(q.free_slots, false, true),
            num(`${q.online_members}/${q.members}`, q.active && q.online_members === 0),
            num(q.flagged, q.flagged > 0), num(q.unreachable ?? 0, q.unreachable > 0, true));
  return tr;
}

function showQueues(w) {
  $("floor-queues").tBodies[0].replaceChildren(...w.queues.map(queueRow));
  const all = document.createElement("tr");
  const name = document.createElement("th");
  name.scope = "row";
  name.textContent = t("admin.floor_all");
  const oldestOf = w.queues.map((q) => q.oldest_waiting_since).filter(Boolean).sort()[0];
  all.append(name, num(w.queue.pending), oldest(oldestOf), num("", false, true),
             num(w.queue.free_slots, false, true),
             num(`${w.queue.online_agents}/${w.queue.total_agents}`),
             num(w.queues.reduce((sum, q) => sum + q.flagged, 0)),
             num(w.queue.unreachable ?? 0, w.queue.unreachable > 0, true));
  $("floor-queues").tFoot.replaceChildren(all);
}

function agentLine(a) {
  const li = document.createElement("li");
  li.dataset.floorAgent = a.id;
  li.dataset.presence = a.presence;
  const dot = document.createElement("span");
  dot.className = "dot";
  dot.title = PRESENCE[a.presence];
  const name = document.createElement("span");
  name.className = "name";
  name.textContent = a.name;
  name.title = a.name;  // cut short with an ellipsis in a narrow column
  const presence = document.createElement("span");
  presence.className = "visually-hidden";
  presence.textContent = PRESENCE[a.presence];
  const load = document.createElement("span");
  load.className = a.full ? "load full" : "load";
  load.textContent = `${a.active_tickets}/${a.max_tickets}`;
  load.title = t("floor.load", { count: a.active_tickets, max: a.max_tickets });
  li.append(dot, name, presence, load);
  if (a.paused.length) {
    const paused = document.createElement("span");
    paused.className = "badge paused";
    paused.textContent = t("floor.paused", { queues: a.paused.map((p) => p.queue).join(", ") });
    li.append(paused);
  }
  li.append(since(a.last_assigned_at, "floor.last_ticket"), since(a.last_reply_at, "floor.last_reply"));
  return li;
}

// "ticket 7 min", "reply 2 h": how long since an agent last received a ticket and last
// answered a customer, kept current by a clock of the view's own (a floor frame may be
// minutes apart on a quiet desk).
const SINCE = { "floor.last_ticket": (ago) => t("floor.last_ticket", { ago }),
                "floor.last_reply": (ago) => t("floor.last_reply", { ago }) };

function since(iso, key) {
  const span = document.createElement("span");
  span.className = "meta since";
  span.dataset.since = iso ?? "";
  span.dataset.key = key;
  sinceText(span);
  return span;
}

function sinceText(span) {
  const at = Date.parse(span.dataset.since);
  let ago = "—";
  if (!Number.isNaN(at)) {
    const minutes = Math.max(0, Math.floor((Date.now() - at) / 60000));
    ago = minutes < 1 ? t("floor.just_now")
      : minutes < 60 ? t("floor.minutes", { m: minutes })
        : t("floor.hours", { h: Math.floor(minutes / 60) });
  }
  span.textContent = SINCE[span.dataset.key](ago);
}

setInterval(() => document.querySelectorAll("#floor-agents .since").forEach(sinceText), 15000);

function showAgents(w) {
  const online = w.agents.filter((a) => a.presence === "online").length;
  $("floor-agents-count").textContent = t("floor.agents_online", { online, count: w.agents.length });
  $("floor-agents").replaceChildren(...w.agents.map(agentLine));
}
