// The agent's inbox, a workplace for a whole shift: presence and automatic assignment on top,
// then the list of the agent's conversations and tickets (inbox.js), the open conversation
// (conversation.js, composer.js, thread_actions.js) and its info panel; on a phone the list
// and the conversation are two screens. Everything is read once on (re)connecting and then
// kept current by the stream: events carry the ticket or the message that changed, and the
// desk frame the agent's queue and pick-up list as the REST API would answer them.

import {
  $, ago, api, clock, clockText, dateTime, errorText, oneAtATime, Stream, t, toast,
} from "./common.js";
import { signIn } from "./signin.js";
import { bindTelegram, showTelegram, showTelegramChoices } from "./agent_telegram.js";
import { Conversation } from "./conversation.js";
import { Composer } from "./composer.js";
import { features } from "./features.js";
import { Inbox, drawList } from "./inbox.js";
import { bindKeys } from "./keys.js";
import { ThreadActions } from "./thread_actions.js";
import { showAvailable, showMe } from "./agent_me.js";
import { beep, bindAlerts, notify } from "./agent_alerts.js";

let me = null;
let inbox = null;
let conversation = null;
let composer = null;
let actions = null;
const baseTitle = document.title;

signIn({
  check: () => api("GET", "/agent/me"),
  notHere: t("agent.not_here"),
  start: async (_signedIn, agent) => {
    me = agent;
    const offered = await features();
    inbox = new Inbox({ me: () => me, hasInbox: offered.has("GET /agent/inbox"), changed: redraw });
    conversation = new Conversation({ hooks: {
      onOpen: opened, onClose: closed, onShown: shownTicket,
      keepsComposer: () => composer.keepsComposer(), submit: () => composer.submit(),
      decorate: (li, m) => composer.decorate(li, m),
    } });
    composer = new Composer(conversation, offered);
    actions = new ThreadActions({ conversation, features: offered, me: () => me,
                                  moved: showMoved, back: () => conversation.close() });
    for (const button of document.querySelectorAll("#inbox-filters [data-view]")) {
      button.hidden = !inbox.hasInbox && button.dataset.view !== "mine";
    }
    bind();
    fitInbox();
    showTelegram();
    new Stream({ onEvent, onView, onReady: refreshOnce }).start();
    setInterval(tick, 1000);
  },
});

// Read on (re)connecting only; after that each `desk` frame replaces the desk (the server
// works it out after the events it reflects, so the last frame is right).
const refreshOnce = oneAtATime(() => refresh());
let reading = false;
let arrived = null;  // a desk frame that came while reading: it may be the newer, so it wins
let desk = null;

async function refresh() {
  reading = true;
  arrived = null;
  try {
    const [agent, queue, available] = await Promise.all([
      api("GET", "/agent/me"), api("GET", "/agent/my-queue"), api("GET", "/agent/available?limit=20"),
      inbox.load(),
    ]);
    showDesk({ me: agent, queue, available });
    if (arrived) showDesk(arrived);
  } catch (error) {
    if (error.status !== 401) toast(errorText(error), "error");  // 401: the form is back
  } finally {
    reading = false;
  }
}

function onView(view) {
  if (view.type !== "desk") return;
  if (reading) arrived = view; else showDesk(view);
}

function showDesk({ me: agent, queue, available }) {
  desk = { queue, available };
  me = agent;
  clock.sync(queue.server_time);
  showMe(me, queue);
  showQueueFilter();
  inbox.fromDesk(queue.queue);
  showAvailable(available, queue);
  tick();
}

function showQueueFilter() {
  const select = $("filter-queue");
  const names = me.queues ?? [];
  if ([...select.options].slice(1).map((o) => o.value).join() === names.join()) return;
  select.replaceChildren(select.options[0], ...names.map((name) => new Option(name, name)));
  select.value = inbox.filter.queue;
}

/** The list, its counts, the badge and the tab's title: what awaits the agent's answer. */
function redraw() {
  drawList($("queue-list"), inbox.shown(), inbox.selected);
  $("queue-empty").hidden = inbox.items.size > 0;
  const awaiting = inbox.awaiting();
  const failed = inbox.failed();
  $("awaiting-badge").hidden = awaiting === 0;
  $("awaiting-badge").textContent = t("inbox.awaiting", { count: awaiting });
  $("failed-badge").hidden = failed === 0;
  $("failed-badge").textContent = t("inbox.failed", { count: failed });
  const mark = failed ? "⚠ " : "";
  document.title = awaiting ? `(${awaiting}) ${mark}${baseTitle}` : `${mark}${baseTitle}`;
  tick();
}

function onEvent(event) {
  if (event.type === "sla.warning" || event.type === "sla.breached") return slaAlert(event);
  conversation.onEvent(event);
  if (event.type.startsWith("message.")) {
    const open = conversation.ticketId === event.ticket_id && document.visibilityState === "visible";
    const fresh = inbox.applyMessage(event, open);
    if (fresh && open) markRead(event.ticket_id);
    if (event.type === "message.received" && !open && fresh !== false) {
      toast(t("agent.toast_message", { number: event.number, sender: event.message.sender }));
      beep();
    }
    return;
  }
  const ticket = event.ticket;
  inbox.applyTicket(ticket);
  if (event.type === "ticket.assigned" && event.to_agent_id === me.id) {
    toast(t("agent.toast_new", { number: ticket.number, title: ticket.title }));
    beep();
    notify(ticket);
  } else if (event.left_queue?.agent_id === me.id) {
    // The server decides when a ticket left this queue by someone else's hand, and why.
    toast(leftText(event.left_queue.why, ticket.number), "warn");
  }
}

/** An SLA warning or breach on one of my tickets (the stream shows me only my own). */
function slaAlert(event) {
  const ticket = event.ticket;
  if (!ticket || ticket.assigned_agent_id !== me.id) return;
  const target = event.target === "resolution" ? t("sla_policy.resolution")
    : event.target === "next_response" ? t("sla_policy.next_response") : t("sla_policy.first_response");
  if (event.type === "sla.warning") {
    toast(t("agent.sla_warning", { number: ticket.number, target }), "warn");
  } else {
    toast(t("agent.sla_breached", { number: ticket.number, target }), "error");
  }
  beep();
}

function leftText(why, number) {
  switch (why) {
    case "escalated": return t("agent.left_escalated", { number });
    case "unanswered": return t("agent.left_unanswered", { number });
    case "moved": return t("agent.left_moved", { number });
    case "offline": return t("agent.left_offline", { number });
    case "cancelled": return t("agent.left_cancelled", { number });
    case "completed": return t("agent.left_completed", { number });
    default: return t("agent.toast_taken", { number });
  }
}

// --- the open conversation -------------------------------------------------------------

function open(id) {
  conversation.open(id).catch((error) => toast(errorText(error), "error"));
}

function opened(ticket) {
  inbox.selected = ticket.id;
  $("inbox").dataset.screen = "thread";
  $("thread-placeholder").hidden = true;
  markRead(ticket.id);
  redraw();
}

function closed() {
  const was = inbox.selected;
  inbox.selected = null;
  $("inbox").dataset.screen = "list";
  $("thread-placeholder").hidden = false;
  redraw();
  $("queue-list").querySelector(`li[data-id="${was}"] [data-action="open"]`)?.focus();
}

const markRead = (id) => inbox.markRead(id);

function shownTicket(ticket) {
  actions.shown(ticket);
  composer.shown(ticket);
  const root = conversation.root;
  const timer = root.querySelector('[data-field="timer"]');
  const pending = ticket.status === "assigned" && ticket.accept_deadline;
  timer.dataset.deadline = pending ? ticket.accept_deadline : "";
  timer.hidden = !pending;
  root.querySelector('[data-field="timer-label"]').hidden = !pending;
  const held = ticket.status === "on_hold" && ticket.hold_until;
  root.querySelector('[data-field="hold-until"]').textContent = held ? dateTime(ticket.hold_until) : "";
  root.querySelector('[data-field="hold-until"]').hidden = !held;
  root.querySelector('[data-field="hold-label"]').hidden = !held;
}

/** A ticket an action just moved: shown at once in the list and the conversation. */
function showMoved(ticket) {
  inbox.applyTicket(ticket);
  conversation.onEvent({ ticket });
}

// --- time --------------------------------------------------------------------------------

/** Every second: the relative times and the countdowns. */
function tick() {
  const now = clock.now();
  for (const el of document.querySelectorAll("[data-since]")) {
    el.textContent = el.dataset.since ? t("agent.assigned_ago", { ago: ago(el.dataset.since, now) }) : "";
  }
  const last = $("last-assigned");
  if (last.dataset.lastAssigned) {
    last.textContent = t("agent.last_assigned", { ago: ago(last.dataset.lastAssigned, now) });
  }
  for (const el of document.querySelectorAll("[data-waiting]")) {
    el.textContent = t("agent.waiting_since", { ago: ago(el.dataset.waiting, now) });
  }
  for (const el of document.querySelectorAll("[data-hold-until]")) {
    el.textContent = el.dataset.holdUntil ? t("inbox.on_hold_until", { time: dateTime(el.dataset.holdUntil) })
                                          : t("inbox.on_hold");
  }
  for (const el of document.querySelectorAll("[data-deadline]")) {
    if (!el.dataset.deadline) continue;
    const left = (Date.parse(el.dataset.deadline) - now) / 1000;
    el.textContent = left > 0 ? t("agent.accept_within", { time: clockText(left) })
                              : t("agent.accept_overdue");
    el.classList.toggle("urgent", left < 30);
  }
}

/** On a wide screen the inbox fills the window below what is above it (whose height depends
 * on the language and the agent's notes), so the composer is never below the fold. */
function fitInbox() {
  const box = $("inbox");
  const fit = () => box.style.setProperty("--inbox-top", `${box.getBoundingClientRect().top + window.scrollY}px`);
  new ResizeObserver(fit).observe(document.querySelector("section.me"));
  window.addEventListener("resize", fit);
  fit();
}

// --- controls ------------------------------------------------------------------------------

async function act(method, path, body) {
  try {
    const answer = await api(method, path, body);
    if (answer?.number) showMoved(answer);
  } catch (error) {
    toast(errorText(error), "error");
  }
  // The rest of what the action changed comes back as a desk frame.
}

function bind() {
  $("go-online").addEventListener("click", () => act("POST", "/agent/go-online"));
  $("go-offline").addEventListener("click", () => act("POST", "/agent/go-offline"));
  $("queue-list").addEventListener("click", (event) => {
    const li = event.target.closest("li[data-id]");
    if (!li) return;
    const button = event.target.closest("button[data-action]");
    if (!button || button.dataset.action === "open") open(li.dataset.id);
    else act("POST", `/tickets/${li.dataset.id}/${button.dataset.action}`);
  });
  $("pickup-list").addEventListener("click", (event) => {
    const button = event.target.closest('button[data-action="pickup"]');
    if (button) act("POST", `/tickets/${button.closest("li").dataset.id}/pickup`);
  });
  $("inbox-filters").addEventListener("click", (event) => {
    const button = event.target.closest("button[data-view]");
    if (!button) return;
    for (const b of $("inbox-filters").querySelectorAll("[data-view]")) {
      b.setAttribute("aria-pressed", String(b === button));
    }
    inbox.filter.view = button.dataset.view;
    inbox.load().catch((error) => toast(errorText(error), "error"));
  });
  for (const [id, key] of [["filter-queue", "queue"], ["filter-channel", "channel"]]) {
    $(id).addEventListener("change", (event) => {
      inbox.filter[key] = event.target.value;
      if (inbox.hasInbox) inbox.load().catch((error) => toast(errorText(error), "error"));
      else redraw();
    });
  }
  $("auto-toggle").addEventListener("change", (event) =>
    act("PATCH", "/agent/me", { auto_assign: event.target.checked }));
  bindTelegram(act);
  $("paused-list").addEventListener("click", (event) => {
    const button = event.target.closest('button[data-action="resume"]');
    const queue = button?.closest("li").dataset.queue;
    if (queue) act("POST", `/agent/queues/${encodeURIComponent(queue)}/resume`);
  });
  bindAlerts();
  bindKeys({
    move: (step) => {
      const ids = inbox.shown().map((item) => item.ticket.id);
      if (!ids.length) return;
      const at = ids.indexOf(inbox.selected);
      const next = ids[Math.min(ids.length - 1, Math.max(0, at < 0 ? 0 : at + step))];
      open(next);
      $("queue-list").querySelector(`li[data-id="${next}"]`)?.scrollIntoView({ block: "nearest" });
    },
    reply: () => { if (conversation.shown && !conversation.form.hidden) conversation.text.focus(); },
    accept: () => actions.accept(),
    complete: () => actions.complete(),
    canned: () => {
      if (!conversation.shown || conversation.form.hidden) return;
      conversation.text.value = "/";
      conversation.text.focus();
      conversation.text.dispatchEvent(new Event("input"));
    },
    leave: () => { if (conversation.shown) conversation.close(); },
  });
}
