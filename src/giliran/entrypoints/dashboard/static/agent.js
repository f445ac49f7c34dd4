// The agent's dashboard: presence, opting in to automatic assignment, pauses in a queue, the
// personal queue, the pick-up list, live from the stream.

import {
  $, ago, api, clock, clockText, errorText, oneAtATime, Stream, t, toast,
} from "./common.js";
import { signIn } from "./signin.js";
import { bindTelegram, showTelegram, showTelegramChoices } from "./agent_telegram.js";
import { Conversation } from "./conversation.js";
import { PRESENCE, STATUS, priorityText } from "./labels.js";

const SOUND_KEY = "giliran.sound";

let me = null;
let audio = null;
let conversation = null;
let full = false;  // no room: pick-ups are refused, so their buttons are off
const baseTitle = document.title;

signIn({
  check: () => api("GET", "/agent/me"),
  notHere: t("agent.not_here"),
  start: (_signedIn, agent) => {
    me = agent;
    conversation = new Conversation();
    bind();
    showTelegram();
    new Stream({ onEvent, onView, onReady: refreshOnce }).start();
    setInterval(tick, 1000);
  },
});

// The page's store is its desk: the agent, its queue and its pick-up list, as the REST API
// answers them. It is read on (re)connecting only; after that each `desk` frame replaces it
// (the server works it out after the events it reflects, so the last frame is right).
const refreshOnce = oneAtATime(() => refresh());
let reading = false;
let arrived = null;  // a desk frame that came while reading: it may be the newer, so it wins
let desk = null;  // the queue and pick-up list shown

const OPEN = new Set(["assigned", "in_progress"]);

/** A ticket event shows at once in the agent's own queue (the ticket is as the REST API shows
 * it); where it goes in the order, and the pick-up list, the next desk frame says. */
function applyTicket(ticket) {
  if (!desk || !ticket) return;
  const items = desk.queue.queue;
  const at = items.findIndex((x) => x.id === ticket.id);
  const mine = ticket.assigned_agent_id === me.id && OPEN.has(ticket.status);
  if (mine && at >= 0) items[at] = { ...ticket, position: items[at].position };
  else if (mine) items.push({ ...ticket, position: items.length + 1 });
  else if (at >= 0) items.splice(at, 1);
  else return;
  items.forEach((x, i) => { x.position = i + 1; });
  desk.queue.count = items.length;
  showMe(desk.queue);
  showQueue(desk.queue);
}

async function refresh() {
  reading = true;
  arrived = null;
  try {
    const [agent, queue, available] = await Promise.all([
      api("GET", "/agent/me"),
      api("GET", "/agent/my-queue"),
      api("GET", "/agent/available?limit=20"),
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
  showMe(queue);
  showQueue(queue);
  showAvailable(available);
  tick();
}

function onEvent(event) {
  conversation.onEvent(event);
  if (event.type.startsWith("message.")) {
    if (event.type === "message.received" && !conversation.dialog.open) {
      toast(t("agent.toast_message", { number: event.number, sender: event.message.sender }));
      beep();
    }
    return;
  }
  const ticket = event.ticket;
  applyTicket(ticket);
  if (event.type === "ticket.assigned" && event.to_agent_id === me.id) {
    toast(t("agent.toast_new", { number: ticket.number, title: ticket.title }));
    beep();
    notify(ticket);
  } else if (event.left_queue?.agent_id === me.id) {
    // The server decides when a ticket left this queue by someone else's hand, and why.
    toast(leftText(event.left_queue.why, ticket.number), "warn");
  }
}

function leftText(why, number) {
  switch (why) {
    case "escalated": return t("agent.left_escalated", { number });
    case "moved": return t("agent.left_moved", { number });
    case "offline": return t("agent.left_offline", { number });
    case "cancelled": return t("agent.left_cancelled", { number });
    case "completed": return t("agent.left_completed", { number });
    default: return t("agent.toast_taken", { number });
  }
}


function showMe(queue) {
  $("agent-name").textContent = me.name;
  $("presence-badge").textContent = PRESENCE[me.presence];
  $("presence-badge").dataset.presence = me.presence;
  $("go-online").setAttribute("aria-pressed", String(me.presence === "online"));
  $("go-offline").setAttribute("aria-pressed", String(me.presence === "offline"));
  $("away-note").hidden = me.presence !== "away";
  $("auto-toggle").checked = me.auto_assign;
  $("auto-toggle").disabled = me.auto_assign_locked;
  $("auto-locked").hidden = !me.auto_assign_locked;
  showTelegramChoices(me);
  showPaused();
  $("queue-title").textContent = t("agent.queue_title", { count: queue.count, max: queue.max });
  const free = Math.max(0, queue.max - queue.count);
  let line = t("agent.slots_free", { free, max: queue.max });
  if (me.presence !== "online") line = t("agent.not_receiving");
  else if (!me.auto_assign) line = t("agent.manual_only");
  else if (free === 0) line = t("agent.slots_full");
  $("slots-line").textContent = line;
  $("last-assigned").hidden = !me.last_assigned_at;
  $("last-assigned").dataset.lastAssigned = me.last_assigned_at ?? "";
  full = free === 0;
  $("pickup-full").hidden = !full;
  $("pickup-full").textContent = t("agent.pickup_full", { count: queue.count, max: queue.max });
  // The tab says how many tickets wait for this agent's accept, seen from another tab too.
  const waiting = queue.queue.filter((ticket) => ticket.status === "assigned").length;
  document.title = waiting ? `(${waiting}) ${baseTitle}` : baseTitle;
}

/** The queues the agent is paused in (after missing tickets there), each with its Resume. */
function showPaused() {
  const items = me.paused.map((p) => {
    const li = $("paused-template").content.firstElementChild.cloneNode(true);
    li.dataset.queue = p.queue;
    field(li, "text").textContent = t("agent.paused", {
      queue: p.queue, since: ago(p.since), count: p.missed_in_row,
    });
    const resume = li.querySelector('[data-action="resume"]');
    resume.textContent = t("agent.resume", { queue: p.queue });
    return li;
  });
  keepPausedFocus(() => $("paused-list").replaceChildren(...items));
}

function keepPausedFocus(draw) {
  const focused = document.activeElement?.closest?.("#paused-list li")?.dataset.queue;
  draw();
  if (focused) $("paused-list").querySelector(`li[data-queue="${focused}"] button`)?.focus();
}

/** Cards are kept per ticket and updated in place, so focus survives a refresh. */
function syncCards(list, items, templateId, fill) {
  const existing = new Map([...list.children].map((li) => [li.dataset.id, li]));
  items.forEach((item, index) => {
    let li = existing.get(String(item.id));
    existing.delete(String(item.id));
    if (!li) {
      li = $(templateId).content.firstElementChild.cloneNode(true);
      li.dataset.id = item.id;
    }
    fill(li, item);
    if (list.children[index] !== li) list.insertBefore(li, list.children[index] ?? null);
  });
  for (const gone of existing.values()) gone.remove();
}

const field = (root, name) => root.querySelector(`[data-field="${name}"]`);

function showQueue(queue) {
  syncCards($("queue-list"), queue.queue, "card-template", (li, ticket) => {
    li.dataset.status = ticket.status;
    field(li, "position").textContent = `#${ticket.position}`;
    field(li, "number").textContent = ticket.number;
    field(li, "priority").textContent = priorityText(ticket);
    field(li, "priority").dataset.priority = ticket.effective_priority ?? ticket.priority;
    field(li, "status").textContent = STATUS[ticket.status];
    field(li, "title").textContent = ticket.title;
    field(li, "category").textContent = ticket.category ?? "";
    field(li, "since").dataset.since = ticket.assigned_at ?? "";
    field(li, "deadline").dataset.deadline = ticket.accept_deadline ?? "";
    field(li, "deadline").hidden = !ticket.accept_deadline;
    li.querySelector('[data-action="accept"]').hidden = ticket.status !== "assigned";
    // Only what was accepted can be completed (assigned -> in progress -> completed).
    li.querySelector('[data-action="complete"]').hidden = ticket.status !== "in_progress";
  });
  $("queue-empty").hidden = queue.count > 0;
}

function showAvailable(page) {
  syncCards($("pickup-list"), page.items, "pickup-template", (li, ticket) => {
    field(li, "number").textContent = ticket.number;
    field(li, "priority").textContent = priorityText(ticket);
    field(li, "priority").dataset.priority = ticket.effective_priority ?? ticket.priority;
    field(li, "queue").textContent = ticket.queue;
    field(li, "title").textContent = ticket.title;
    field(li, "waiting").dataset.waiting = ticket.created_at;
    const pickup = li.querySelector('[data-action="pickup"]');
    pickup.disabled = full;
    if (full) pickup.setAttribute("aria-describedby", "pickup-full");
    else pickup.removeAttribute("aria-describedby");
  });
  $("pickup-empty").hidden = page.items.length > 0 || full;
}

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
  for (const el of document.querySelectorAll("[data-deadline]")) {
    if (!el.dataset.deadline) continue;
    const left = (Date.parse(el.dataset.deadline) - now) / 1000;
    el.textContent = left > 0 ? t("agent.accept_within", { time: clockText(left) })
                              : t("agent.accept_overdue");
    el.classList.toggle("urgent", left < 30);
  }
}

async function act(method, path, body) {
  try {
    await api(method, path, body);
  } catch (error) {
    toast(errorText(error), "error");
  }
  // What the action changed comes back as a desk frame.
}

function bind() {
  $("go-online").addEventListener("click", () => act("POST", "/agent/go-online"));
  $("go-offline").addEventListener("click", () => act("POST", "/agent/go-offline"));
  $("queue-list").addEventListener("click", (event) => {
    const button = event.target.closest("button[data-action]");
    if (!button) return;
    const id = button.closest("li").dataset.id;
    if (button.dataset.action === "open") {
      conversation.open(id).catch((error) => toast(errorText(error), "error"));
    }
    else act("POST", `/tickets/${id}/${button.dataset.action}`);
  });
  $("pickup-list").addEventListener("click", (event) => {
    const button = event.target.closest('button[data-action="pickup"]');
    if (button) act("POST", `/tickets/${button.closest("li").dataset.id}/pickup`);
  });
  $("auto-toggle").addEventListener("change", (event) =>
    act("PATCH", "/agent/me", { auto_assign: event.target.checked }));
  bindTelegram(act);
  $("paused-list").addEventListener("click", (event) => {
    const button = event.target.closest('button[data-action="resume"]');
    const queue = button?.closest("li").dataset.queue;
    if (queue) act("POST", `/agent/queues/${encodeURIComponent(queue)}/resume`);
  });
  $("notify-toggle").addEventListener("click", askToNotify);
  showNotifyState();
  const sound = $("sound-toggle");
  sound.checked = localStorage.getItem(SOUND_KEY) === "on";
  sound.addEventListener("change", () => {
    localStorage.setItem(SOUND_KEY, sound.checked ? "on" : "off");
    if (sound.checked) beep();  // a user's click lets the page make sound from now on
  });
}

function beep() {
  if (localStorage.getItem(SOUND_KEY) !== "on") return;
  audio ??= new AudioContext();
  audio.resume();
  const tone = audio.createOscillator();
  const gain = audio.createGain();
  tone.frequency.value = 880;
  gain.gain.setValueAtTime(0.15, audio.currentTime);
  gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.35);
  tone.connect(gain).connect(audio.destination);
  tone.start();
  tone.stop(audio.currentTime + 0.35);
}

/** Desktop notifications: asked for only when the agent clicks, never on load. */
async function askToNotify() {
  if (!("Notification" in window)) return showNotifyState();
  await Notification.requestPermission();
  showNotifyState();
}

function showNotifyState() {
  const supported = "Notification" in window;
  const state = supported ? Notification.permission : "unsupported";
  $("notify-toggle").hidden = state === "granted" || !supported;
  $("notify-state").textContent = {
    granted: t("agent.notify_on"), denied: t("agent.notify_denied"),
    unsupported: t("agent.notify_unsupported"),
  }[state] ?? "";
}

function notify(ticket) {
  if (!("Notification" in window) || Notification.permission !== "granted") return;
  const note = new Notification(t("agent.toast_new", { number: ticket.number, title: ticket.title }),
                                { tag: `giliran-${ticket.id}` });
  note.addEventListener("click", () => { window.focus(); note.close(); });
}
