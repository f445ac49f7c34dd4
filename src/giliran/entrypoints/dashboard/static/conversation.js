// A ticket's conversation in a dialog: the thread both ways with delivery ticks, what each
// kind of message holds (photos inline, files to download, places with a map link), who the
// customer is, and a reply box (Enter sends, Shift+Enter starts a new line). Media are fetched
// with the caller's session and shown from blob URLs, so no channel token ever reaches the page.

import { $, api, apiFile, dateTime, errorText, t } from "./common.js";
import { STATUS, priorityText } from "./labels.js";

const TICKS = {
  queued: ["🕓", t("conversation.state_queued")],
  sent: ["✓", t("conversation.state_sent")],
  delivered: ["✓✓", t("conversation.state_delivered")],
  read: ["✓✓", t("conversation.state_read")],
  failed: ["⚠", t("conversation.state_failed")],
};
const field = (root, name) => root.querySelector(`[data-field="${name}"]`);

export class Conversation {
  constructor({ readOnly = false } = {}) {
    this.readOnly = readOnly;
    this.ticketId = null;
    this.media = new Map();  // message id -> object URL, kept while the page lives
    this.dialog = $("conversation");
    this.form = field(this.dialog, "reply-form");
    this.text = $("reply-text");
    this.form.addEventListener("submit", (event) => { event.preventDefault(); this.send(); });
    this.text.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.send();
      }
    });
    this.dialog.querySelector('[data-action="template"]')
      .addEventListener("click", () => this.send({ template: true }));
    this.dialog.addEventListener("close", () => { this.ticketId = null; });
  }

  async open(id) {
    this.ticketId = Number(id);
    field(this.dialog, "reply-error").textContent = "";
    await this.refresh();
    if (!this.dialog.open) this.dialog.showModal();
    if (!this.form.hidden) this.text.focus();
  }

  /** Anything that moved this ticket or its messages: read it again while it is shown. */
  onEvent(event) {
    const id = event.ticket_id ?? event.ticket?.id;
    if (this.ticketId !== null && id === this.ticketId) this.refresh();
  }

  async refresh() {
    const id = this.ticketId;
    if (id === null) return;
    const get = (path) => api("GET", path);
    const ticket = await get(`/tickets/${id}`);
    const [page, customer] = await Promise.all([
      get(`/tickets/${id}/messages?limit=500`),
      ticket.channel ? get(`/tickets/${id}/customer`) : null,
    ]);
    if (id !== this.ticketId) return;
    this.showTicket(ticket, customer);
    this.showThread(page.items);
    const open = ["queued", "assigned", "in_progress"].includes(ticket.status);
    // A customer who blocked the bot cannot be answered until they write again (409).
    const blocked = customer?.blocked_at ?? null;
    const note = field(this.dialog, "blocked");
    note.hidden = blocked === null;
    note.textContent = blocked === null ? "" : t("conversation.blocked", { since: dateTime(blocked) });
    const canAnswer = !this.readOnly && customer !== null && open && blocked === null;
    this.form.hidden = !canAnswer || !customer.window_open;
    field(this.dialog, "window-closed").hidden = !canAnswer || customer.window_open;
    // The template is offered only when the server can send one (else it would answer 503).
    const template = canAnswer && customer.template_available;
    this.dialog.querySelector('[data-action="template"]').hidden = !template;
    field(this.dialog, "no-template").hidden = template;
    field(this.dialog, "read-only").hidden = !this.readOnly;
  }

  showTicket(ticket, customer) {
    const d = this.dialog;
    $("conversation-title").textContent = `${ticket.number} · ${STATUS[ticket.status]}`;
    field(d, "title").textContent = ticket.title;
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
    field(d, "customer-channel").textContent = customer.channel;
    field(d, "earlier").replaceChildren(...customer.earlier_tickets.map((e) => {
      const li = document.createElement("li");
      li.textContent = `${e.number} · ${e.title} · ${STATUS[e.status]} · ${dateTime(e.created_at)}`;
      return li;
    }));
    field(d, "no-earlier").hidden = customer.earlier_tickets.length > 0;
  }

  showThread(messages) {
    const list = field(this.dialog, "thread");
    const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    list.replaceChildren(...messages.map((m) => this.bubble(m)));
    field(this.dialog, "no-messages").hidden = messages.length > 0;
    if (atBottom || !list.dataset.shown) list.scrollTop = list.scrollHeight;
    list.dataset.shown = "1";
  }

  bubble(m) {
    const li = document.createElement("li");
    li.className = `message ${m.direction}`;
    li.dataset.messageId = m.id;
    li.dataset.kind = m.kind;
    const head = document.createElement("p");
    head.className = "meta";
    head.textContent = `${m.sender} · ${dateTime(m.at)}`;
    if (m.edited_at) head.textContent += ` · ${t("conversation.edited")}`;
    li.append(head, ...this.content(m));
    if (m.direction === "out" && m.state) li.append(ticks(m));
    return li;
  }

  content(m) {
    const c = m.content ?? {};
    const out = [];
    const line = (text, cls) => {
      const p = document.createElement("p");
      if (cls) p.className = cls;
      p.textContent = text;
      out.push(p);
      return p;
    };
    if (m.has_media) out.push(this.mediaPreview(m));
    switch (m.kind) {
      case "location": {
        const p = line([c.name, c.address].filter(Boolean).join(", ") || t("conversation.location"));
        const a = document.createElement("a");
        a.href = `https://www.openstreetmap.org/?mlat=${c.latitude}&mlon=${c.longitude}#map=17/${c.latitude}/${c.longitude}`;
        a.rel = "noopener noreferrer";
        a.target = "_blank";
        a.textContent = `📍 ${c.latitude}, ${c.longitude}`;
        p.append(document.createElement("br"), a);
        break;
      }
      case "contacts":
        for (const person of c.contacts ?? []) {
          line(`👤 ${[person.name, ...(person.phones ?? []), ...(person.emails ?? [])]
            .filter(Boolean).join(" · ")}`);
        }
        break;
      case "choice":
        line(t("conversation.chose", { choice: c.title ?? c.id ?? "" }), "choice");
        break;
      case "reaction":
        line(c.emoji ? t("conversation.reacted", { emoji: c.emoji })
                     : t("conversation.reaction_removed"), "hint");
        break;
      case "system":
        line(m.body, "hint");
        return out;
      case "template":
        line(t("conversation.template", { name: c.template ?? "" }), "hint");
        return out;
      case "unknown":
        line(t("conversation.unsupported", { type: c.type ?? "?" }), "hint");
        break;
      default:
        break;
    }
    if (m.body && m.kind !== "reaction") line(m.body, "body");
    return out;
  }

  mediaPreview(m) {
    const c = m.content ?? {};
    const mime = c.mime_type ?? "";
    const box = document.createElement("div");
    box.className = "media";
    const url = `/tickets/${this.ticketId}/messages/${m.id}/media`;
    const shown = ["image", "sticker"].includes(m.kind) || mime.startsWith("image/");
    if (shown || ["audio", "voice", "video", "animation"].includes(m.kind)) {
      const tag = shown ? "img" : (m.kind === "video" || m.kind === "animation" ? "video" : "audio");
      const el = document.createElement(tag);
      if (tag === "img") el.alt = m.body || t("conversation.photo");
      else el.controls = true;
      box.append(el);
      this.blob(m.id, url).then((src) => { el.src = src; })
        .catch((error) => { box.replaceChildren(mediaError(error)); });
    } else {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "quiet";
      button.textContent = `📄 ${c.file_name ?? t("conversation.download")}`;
      button.addEventListener("click", async () => {
        try {
          const a = document.createElement("a");
          a.href = await this.blob(m.id, url);
          a.download = c.file_name ?? `${m.kind}-${m.id}`;
          a.click();
        } catch (error) {
          box.append(mediaError(error));
        }
      });
      box.append(button);
    }
    return box;
  }

  async blob(id, path) {
    if (this.media.has(id)) return this.media.get(id);
    const response = await apiFile(path);
    const url = URL.createObjectURL(await response.blob());
    this.media.set(id, url);
    return url;
  }

  async send(body) {
    const error = field(this.dialog, "reply-error");
    error.textContent = "";
    const wanted = body ?? { text: this.text.value.trim() };
    if (!wanted.template && !wanted.text) return;
    try {
      await api("POST", `/tickets/${this.ticketId}/messages`, wanted,
                { "Idempotency-Key": crypto.randomUUID() });
      if (!body) this.text.value = "";
      await this.refresh();
    } catch (exc) {
      error.textContent = errorText(exc);
    }
  }
}

function ticks(m) {
  const [mark, label] = TICKS[m.state] ?? ["", m.state];
  const span = document.createElement("span");
  span.className = "ticks";
  span.dataset.state = m.state;
  span.textContent = mark;
  span.title = m.error ? `${label}: ${m.error}` : label;
  span.setAttribute("aria-label", span.title);
  const p = document.createElement("p");
  p.className = "state";
  p.append(span);
  if (m.state === "failed") {
    const why = document.createElement("span");
    why.className = "error";
    why.textContent = ` ${label}${m.error ? `: ${m.error}` : ""}`;
    p.append(why);
  }
  return p;
}

function mediaError(error) {
  const p = document.createElement("p");
  p.className = "error";
  p.textContent = errorText(error);
  return p;
}
