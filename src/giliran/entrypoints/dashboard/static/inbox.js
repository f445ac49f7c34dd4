// The inbox's list: the agent's conversations and tickets in one store keyed by ticket id, in
// the order of what needs the agent now (a pending accept by its deadline, then conversations
// awaiting a reply, most urgent and oldest first, then the rest, holds last), each with its
// last message, unread count, channel and a mark when a reply failed. It is read from
// GET /agent/inbox on (re)connecting and when the filters change; after that the stream's
// events change it in place. A server without that endpoint yet still gets a list: the
// personal queue, without read state.

import { $, api, t } from "./common.js";
import { CHANNEL, STATUS, priorityText } from "./labels.js";

const RANK = { urgent: 3, high: 2, normal: 1, low: 0 };
const MINE = new Set(["assigned", "in_progress", "on_hold"]);
const field = (root, name) => root.querySelector(`[data-field="${name}"]`);

export class Inbox {
  /** `me()` the agent; `changed()` after every change (the page redraws its counts). */
  constructor({ me, hasInbox, changed }) {
    Object.assign(this, { me, hasInbox, changed });
    this.items = new Map();
    this.filter = { view: "mine", queue: "", channel: "" };
    this.selected = null;
    this.figures = null;  // the server's counts, for the views other than "mine"
    this.gap = null;
    // Messages of tickets not listed (yet): a customer's first message comes before the
    // ticket is assigned to the agent, and counts as unread once it is.
    this.early = new Map();
  }

  async load() {
    if (!this.hasInbox) return;
    const query = new URLSearchParams({ view: this.filter.view });
    if (this.filter.queue) query.set("queue", this.filter.queue);
    if (this.filter.channel) query.set("channel", this.filter.channel);
    const page = await api("GET", `/agent/inbox?${query}`);
    this.items = new Map(page.items.map((item) => [item.ticket.id, settle(item)]));
    this.figures = { awaiting: page.awaiting_reply, failed: page.failed_replies };
    this.changed();
  }

  /** Something the store cannot work out from an event (a ticket new to it, a view that
   * is not the agent's own): one read soon after, however many events asked for it. */
  reread() {
    if (!this.hasInbox) return;
    clearTimeout(this.gap);
    this.gap = setTimeout(() => this.load().catch(() => {}), 150);
  }

  /** The personal queue as a desk frame has it: the open tickets, in their latest state. */
  fromDesk(queue) {
    if (this.filter.view !== "mine") return;
    const held = new Set(queue.map((ticket) => ticket.id));
    for (const ticket of queue) {
      const item = this.items.get(ticket.id);
      if (item) item.ticket = { ...item.ticket, ...ticket };
      else this.add(ticket);
    }
    for (const [id, item] of this.items) {
      // On hold is the inbox's own; the desk's queue says nothing of it.
      if (!held.has(id) && item.ticket.status !== "on_hold") this.items.delete(id);
    }
    this.changed();
  }

  applyTicket(ticket) {
    if (!ticket) return;
    const item = this.items.get(ticket.id);
    if (this.filter.view !== "mine") { if (item) this.reread(); return; }
    const mine = ticket.assigned_agent_id === this.me().id && MINE.has(ticket.status);
    if (mine && item) item.ticket = { ...item.ticket, ...ticket };
    else if (mine) this.add(ticket);
    else if (item) this.items.delete(ticket.id);
    else return;
    this.changed();
  }

  /** A ticket new to the list, with what its messages said before it came. */
  add(ticket) {
    const item = settle({ ticket, channel: ticket.channel });
    for (const event of this.early.get(ticket.id) ?? []) this.applyTo(item, event.message, false);
    this.early.delete(ticket.id);
    this.items.set(ticket.id, item);
  }

  /** A message of one of the listed conversations: its last message, unread count and
   * whether it awaits a reply follow. `reading` is true when the agent has it open. */
  applyMessage(event, reading) {
    const item = this.items.get(event.ticket_id);
    const m = event.message;
    if (!m) return false;
    if (!item) {
      const kept = this.early.get(event.ticket_id) ?? [];
      kept.push(event);
      this.early.set(event.ticket_id, kept.slice(-50));
      if (this.early.size > 500) this.early.delete(this.early.keys().next().value);
      return false;
    }
    const fresh = this.applyTo(item, m, reading);
    this.changed();
    return fresh;
  }

  applyTo(item, m, reading) {
    const known = item.seen.has(m.id);
    item.seen.add(m.id);
    if (m.direction === "in" && m.kind !== "reaction" && !known) {
      if (!reading) item.unread += 1;
      if (!item.awaiting_reply) item.since = m.at;
      item.awaiting_reply = true;
      item.last_message = m;
    } else if (m.direction === "note") {
      if (!known) item.last_message = m;  // as the server's list shows it: notes count
    } else if (m.direction === "out") {
      if (!known) { item.awaiting_reply = false; item.last_message = m; }
      if (m.state === "failed") { item.failed_reply = true; item.failedId = m.id; }
      else if (m.id >= (item.failedId ?? 0)) item.failed_reply = false;
    }
    if (m.direction === "in" && !item.customer_name && m.sender) item.customer_name = m.sender;
    return m.direction === "in" && !known;
  }

  async markRead(id) {
    const item = this.items.get(id);
    if (!item || !this.hasInbox) return;
    const had = item.unread;
    item.unread = 0;
    if (had) this.changed();
    try {
      const answer = await api("POST", `/tickets/${id}/read`, {});
      item.unread = answer.unread;
    } catch {
      item.unread = had;  // not read after all: the count stays
    }
    this.changed();
  }

  /** The items to show, filtered and in the order of what needs the agent now. */
  shown() {
    const { queue, channel } = this.filter;
    return [...this.items.values()]
      .filter((item) => !queue || item.ticket.queue === queue)
      .filter((item) => !channel || (item.channel ?? "none") === channel)
      .sort(compare);
  }

  /** Conversations awaiting the agent: a pending accept, or a customer's unanswered word. */
  awaiting() {
    if (this.filter.view !== "mine" && this.figures) return this.figures.awaiting;
    return [...this.items.values()].filter(waitsForMe).length;
  }

  failed() {
    if (this.filter.view !== "mine" && this.figures) return this.figures.failed;
    return [...this.items.values()].filter((item) => item.failed_reply).length;
  }
}

export function waitsForMe(item) {
  return item.ticket.status === "assigned" || (item.awaiting_reply && item.ticket.status !== "on_hold");
}

function settle(item) {
  return {
    unread: 0, awaiting_reply: false, last_message: null, channel: null, customer_name: null,
    failed_reply: false, ...item, seen: new Set(item.last_message ? [item.last_message.id] : []),
    since: item.last_message?.at ?? item.ticket.assigned_at ?? item.ticket.created_at,
  };
}

function group(item) {
  const status = item.ticket.status;
  if (status === "assigned") return 0;
  if (status === "on_hold") return 3;
  if (item.awaiting_reply) return 1;
  return MINE.has(status) ? 2 : 4;
}

const when = (iso) => (iso ? Date.parse(iso) : Infinity);

function compare(a, b) {
  const ga = group(a), gb = group(b);
  if (ga !== gb) return ga - gb;
  const first = ga === 0 ? when(a.ticket.accept_deadline) - when(b.ticket.accept_deadline)
    : ga === 3 ? when(a.ticket.hold_until) - when(b.ticket.hold_until) : 0;
  if (first) return first;
  const pa = RANK[a.ticket.effective_priority] ?? 1, pb = RANK[b.ticket.effective_priority] ?? 1;
  if (pa !== pb) return pb - pa;
  return (when(a.since) - when(b.since)) || a.ticket.id - b.ticket.id;
}

/** What the list shows of its last message: who wrote it and a line of it. */
function lastLine(m) {
  if (!m) return "";
  const what = m.body || (m.kind === "text" ? "" : t("inbox.kind_other", { kind: m.kind }));
  if (m.direction === "note") return t("inbox.note_line", { text: what });
  return m.direction === "in" ? what : t("inbox.you_wrote", { text: what });
}

/** The list, kept per ticket and updated in place, so focus survives a redraw. */
export function drawList(list, items, selected) {
  const existing = new Map([...list.children].map((li) => [li.dataset.id, li]));
  items.forEach((item, index) => {
    const id = String(item.ticket.id);
    let li = existing.get(id);
    existing.delete(id);
    if (!li) {
      li = $("card-template").content.firstElementChild.cloneNode(true);
      li.dataset.id = id;
    }
    fillItem(li, item, index + 1, Number(id) === selected);
    if (list.children[index] !== li) list.insertBefore(li, list.children[index] ?? null);
  });
  for (const gone of existing.values()) gone.remove();
}

function fillItem(li, item, position, selected) {
  const ticket = item.ticket;
  li.dataset.status = ticket.status;
  li.dataset.awaiting = String(waitsForMe(item));
  li.classList.toggle("selected", selected);
  if (selected) li.setAttribute("aria-current", "true"); else li.removeAttribute("aria-current");
  field(li, "position").textContent = `#${position}`;
  field(li, "number").textContent = ticket.number;
  field(li, "priority").textContent = priorityText(ticket);
  field(li, "priority").dataset.priority = ticket.effective_priority ?? ticket.priority;
  field(li, "status").textContent = STATUS[ticket.status] ?? ticket.status;
  const channel = field(li, "channel");
  channel.hidden = !item.channel;
  channel.textContent = CHANNEL[item.channel] ?? item.channel ?? "";
  field(li, "failed").hidden = !item.failed_reply;
  const unread = field(li, "unread");
  unread.hidden = !item.unread;
  unread.textContent = String(item.unread);
  unread.setAttribute("aria-label", t("inbox.unread", { count: item.unread }));
  field(li, "customer").textContent = item.customer_name ? `${item.customer_name} · ` : "";
  field(li, "title").textContent = ticket.title;
  const last = field(li, "last");
  last.textContent = lastLine(item.last_message);
  last.hidden = !item.last_message;
  // A chat's category is its channel, already on its badge: said once.
  const category = ticket.category ?? "";
  field(li, "category").textContent = category === item.channel ? "" : category;
  field(li, "since").dataset.since = ticket.assigned_at ?? "";
  field(li, "deadline").dataset.deadline = ticket.status === "assigned" ? ticket.accept_deadline ?? "" : "";
  field(li, "deadline").hidden = ticket.status !== "assigned" || !ticket.accept_deadline;
  const hold = field(li, "hold");
  hold.hidden = ticket.status !== "on_hold";
  hold.dataset.holdUntil = ticket.hold_until ?? "";
  li.querySelector('[data-action="accept"]').hidden = ticket.status !== "assigned";
  // Only what was accepted can be completed (assigned -> in progress -> completed).
  li.querySelector('[data-action="complete"]').hidden = ticket.status !== "in_progress";
}
