// A ticket's conversation: the thread both ways (messages.js draws each one), the ticket and
// its customer beside it, and a reply box (Enter sends, Shift+Enter starts a new line). The
// supervisors' console shows it in the ticket's panel; the agent's inbox in its middle pane.
// It is read once when opened; after that the stream's events change it in place (a message
// event carries the message, a ticket event the ticket), so nothing is read again per event.
// Media are fetched with the caller's session and shown from blob URLs, so no channel token
// ever reaches the page.

import { $, ago, api, apiFile, dateTime, errorText, t } from "./common.js";
import { MessageView, reactionsByTarget } from "./messages.js";
import { CHANNEL, STATUS, priorityText } from "./labels.js";
import { PersonPanel } from "./person.js";

const field = (root, name) => root.querySelector(`[data-field="${name}"]`);
const OPEN = new Set(["queued", "assigned", "in_progress", "on_hold"]);
const PAGE = 200;  // the newest messages first shown; a longer past is rarely read here
const DAY = 24 * 3600 * 1000;

export class Conversation {
  /** `hooks`: onOpen(ticket), onClose(), onShown(ticket, customer) for the page around it.
   * `supervisor`: the reader answers any open ticket of theirs, a waiting one too (an agent
   * only the ones they hold). */
  constructor({ readOnly = false, supervisor = false, hooks = {} } = {}) {
    this.readOnly = readOnly;
    this.supervisor = supervisor;
    this.hooks = hooks;
    this.ticketId = null;
    this.ticket = null;
    this.customer = null;
    this.messages = new Map();  // id -> message, as the API shows it
    this.media = new Map();  // message id -> object URL, kept while the page lives
    this.view = new MessageView((m) => this.blob(m.id));
    this.root = $("conversation");
    this.form = field(this.root, "reply-form");
    this.text = $("reply-text");
    this.list = field(this.root, "thread");
    this.person = new PersonPanel(this.root, { supervisor, reload: () => this.load() });
    this.form.addEventListener("submit", (event) => { event.preventDefault(); this.submit(); });
    this.text.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing && !event.defaultPrevented) {
        event.preventDefault();
        this.submit();
      }
    });
    this.root.querySelector('[data-action="template"]')
      .addEventListener("click", () => this.send({ template: true }));
    if (this.isDialog) this.root.addEventListener("close", () => this.closed());
    // At the bottom, the thread stays there while photos load and messages arrive.
    this.stick = true;
    this.list.addEventListener("scroll", () => { this.stick = this.nearBottom(); });
    this.list.addEventListener("load", () => { if (this.stick) this.bottom(); }, true);
  }

  nearBottom() {
    const list = this.list;
    return list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  }

  get isDialog() { return this.root.tagName === "DIALOG"; }

  get shown() { return this.isDialog ? this.root.open : !this.root.hidden; }

  async open(id) {
    this.ticketId = Number(id);
    this.messages.clear();
    this.list.replaceChildren();
    delete this.list.dataset.shown;
    field(this.root, "reply-error").textContent = "";
    await this.load();
    if (this.isDialog && !this.root.open) this.root.showModal();
    if (!this.isDialog) this.root.hidden = false;
    this.hooks.onOpen?.(this.ticket);  // the page lays the pane out first: then it has a height
    this.bottom();
  }

  close() {
    if (this.isDialog) this.root.close();
    else { this.root.hidden = true; this.closed(); }
  }

  closed() {
    this.ticketId = null;
    this.hooks.onClose?.();
  }

  /** The ticket, its newest messages and its customer, read once on opening. */
  async load() {
    const id = this.ticketId;
    const get = (path) => api("GET", path);
    const ticket = await get(`/tickets/${id}`);
    let [page, customer] = await Promise.all([
      get(`/tickets/${id}/messages?limit=${PAGE}`),
      ticket.channel ? get(`/tickets/${id}/customer`) : null,
    ]);
    if (page.total > PAGE) {
      page = await get(`/tickets/${id}/messages?limit=${PAGE}&offset=${page.total - PAGE}`);
    }
    if (id !== this.ticketId) return;
    for (const m of page.items) this.messages.set(m.id, m);
    this.ticket = ticket;
    this.customer = customer;
    this.render();
  }

  /** An event of the stream: what it carries replaces what is shown. */
  onEvent(event) {
    const id = event.ticket_id ?? event.ticket?.id;
    if (this.ticketId === null || id !== this.ticketId) return;
    if (event.message) {
      this.upsert(event.message);
      if (event.message.direction === "in" && this.customer) {
        // The customer wrote: the channel's answering window opens again (WhatsApp: 24 h).
        this.customer.window_open = true;
        this.customer.blocked_at = null;
        this.customer.window_closes_at = new Date(Date.parse(event.message.at) + DAY).toISOString();
      }
      this.render();
    } else if (event.ticket) {
      this.ticket = { ...this.ticket, ...event.ticket };
      this.render();
    }
  }

  upsert(message) {
    if (message.ticket_id !== undefined && message.ticket_id !== this.ticketId) return;
    // The stream may bring a reply's next state (failed, sent) before the POST that wrote it
    // answers "queued": that stale "queued" is dropped (a retry's is newer than the failure).
    // Only "queued" is compared: the channels date sent/delivered/read by their own clocks.
    const had = this.messages.get(message.id);
    if (message.state === "queued" && had?.state && had.state !== "queued"
        && Date.parse(had.state_at) > Date.parse(message.state_at)) return;
    this.messages.set(message.id, message);
  }

  render() {
    if (!this.ticket) return;
    this.showTicket(this.ticket, this.customer);
    this.showThread([...this.messages.values()].sort((a, b) => a.id - b.id));
    this.showComposer();
    this.hooks.onShown?.(this.ticket, this.customer);
  }

  showComposer() {
    const ticket = this.ticket;
    const customer = this.customer;
    // A customer who blocked the bot cannot be answered until they write again (409).
    const blocked = customer?.blocked_at ?? null;
    const note = field(this.root, "blocked");
    note.hidden = blocked === null;
    note.textContent = blocked === null ? "" : t("conversation.blocked", { since: dateTime(blocked) });
    const canAnswer = !this.readOnly && customer !== null && OPEN.has(ticket.status)
      && (ticket.status !== "queued" || this.supervisor) && blocked === null;
    this.canReply = canAnswer && customer.window_open;
    this.form.hidden = !this.canReply && !this.hooks.keepsComposer?.(ticket);
    field(this.root, "window-closed").hidden = !canAnswer || customer.window_open;
    // The template is offered only when the server can send one (else it would answer 503).
    this.template = canAnswer && customer.template_available;
    this.root.querySelector('[data-action="template"]').hidden = !this.template;
    field(this.root, "no-template").hidden = this.template;
    field(this.root, "read-only").hidden = !this.readOnly;
  }

  showTicket(ticket, customer) {
    const d = this.root;
    $("conversation-title").textContent = customer?.name
      ? `${ticket.number} · ${customer.name}` : `${ticket.number} · ${STATUS[ticket.status] ?? ticket.status}`;
    field(d, "title").textContent = ticket.title;
    const set = (name, text) => { const el = field(d, name); if (el) el.textContent = text; };
    set("status", STATUS[ticket.status] ?? ticket.status);
    set("channel", ticket.channel ? CHANNEL[ticket.channel] ?? ticket.channel : t("inbox.channel_none"));
    set("distribution", distribution(ticket));
    field(d, "category").textContent = ticket.category ?? "—";
    field(d, "description").textContent = ticket.description ?? "";
    field(d, "description-box").hidden = !ticket.description;
    field(d, "priority").textContent = priorityText(ticket);
    field(d, "queue").textContent = ticket.queue;
    field(d, "created").textContent = dateTime(ticket.created_at);
    field(d, "customer").hidden = customer === null;
    if (customer === null) return;
    field(d, "customer-name").textContent = customer.name ?? customer.address;
    const link = field(d, "customer-address");
    link.textContent = customer.address;
    if (customer.channel === "whatsapp") link.href = `tel:${customer.address}`;
    else if (customer.username) link.href = `https://t.me/${customer.username}`;
    else link.removeAttribute("href");
    field(d, "customer-channel").textContent = CHANNEL[customer.channel] ?? customer.channel;
    this.person.show(customer);
  }

  /** Messages are kept per id and redrawn only when they changed, so a photo is not fetched
   * again and the place the agent scrolled to stays while new messages arrive below; at the
   * bottom already, the thread follows them. */
  showThread(messages) {
    const list = this.list;
    const atBottom = this.nearBottom();
    const reactions = reactionsByTarget(messages);
    const existing = new Map([...list.children].map((li) => [li.dataset.messageId, li]));
    const shown = messages.filter((m) => !(m.kind === "reaction" && this.targetOf(m, messages)));
    shown.forEach((m, index) => {
      const own = reactions.get(channelId(m)) ?? [];
      const key = JSON.stringify([m, own.map((r) => [r.id, r.content.emoji])]);
      let li = existing.get(String(m.id));
      existing.delete(String(m.id));
      if (!li || li.dataset.key !== key) {
        const fresh = this.view.bubble(m, own);
        fresh.dataset.key = key;
        this.decorate(fresh, m);
        if (li) li.replaceWith(fresh);
        li = fresh;
      }
      if (list.children[index] !== li) list.insertBefore(li, list.children[index] ?? null);
    });
    for (const gone of existing.values()) gone.remove();
    field(this.root, "no-messages").hidden = messages.length > 0;
    if (atBottom || !list.dataset.shown) this.bottom();
    list.dataset.shown = "1";
  }

  targetOf(reaction, messages) {
    const target = reaction.content?.message_id;
    return target ? messages.find((m) => m !== reaction && channelId(m) === target) : undefined;
  }

  /** Hook for the page around: actions on a failed reply, for instance. */
  decorate(li, m) {
    this.hooks.decorate?.(li, m);
  }

  bottom() {
    this.list.scrollTop = this.list.scrollHeight;
    this.stick = true;
  }

  async blob(id) {
    if (this.media.has(id)) return this.media.get(id);
    const response = await apiFile(`/tickets/${this.ticketId}/messages/${id}/media`);
    const url = URL.createObjectURL(await response.blob());
    this.media.set(id, url);
    return url;
  }

  submit() {
    return this.hooks.submit ? this.hooks.submit() : this.send();
  }

  async send(body) {
    const error = field(this.root, "reply-error");
    error.textContent = "";
    const wanted = body ?? { text: this.text.value.trim() };
    if (!wanted.template && !wanted.text) return null;
    try {
      const sent = await api("POST", `/tickets/${this.ticketId}/messages`, wanted,
                             { "Idempotency-Key": crypto.randomUUID() });
      if (!body) this.text.value = "";
      this.take(sent);
      return sent;
    } catch (exc) {
      error.textContent = errorText(exc);
      return null;
    }
  }

  /** A message the desk just wrote, as the API answered it: shown at once, at the bottom. */
  take(message) {
    if (!message) return;
    this.upsert({ ...message, ticket_id: this.ticketId });
    this.render();
    this.bottom();
  }
}

/** The channel's id of a message, which reactions name: giliran's key for an incoming one
 * is "<channel>:<id>"; an outgoing one carries the id the channel gave it, when shown. */
export function channelId(m) {
  return m.channel_message_id ?? m.external_id?.replace(/^[a-z]+:/, "") ?? `giliran:${m.id}`;
}

/** Where the ticket stands in its distribution, in a line. */
function distribution(ticket) {
  const parts = [STATUS[ticket.status] ?? ticket.status];
  if (ticket.assigned_at && ticket.status !== "queued") {
    parts.push(t("agent.assigned_ago", { ago: ago(ticket.assigned_at) }));
  }
  if (ticket.accepted_at) parts.push(t("inbox.accepted_ago", { ago: ago(ticket.accepted_at) }));
  if (ticket.escalations) parts.push(t("inbox.escalations", { count: ticket.escalations }));
  return parts.join(" · ");
}
