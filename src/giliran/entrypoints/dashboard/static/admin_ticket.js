// A ticket's page in the console, opened from its row's menu and shown beside the list (a
// screen of its own on a phone): the ticket, why its agent has it, the conversation with the
// inbox's composer (conversation.js, composer.js: a supervisor replies to the customer or
// writes a note, signed with their own name by the server), its history newest first, and the
// customer. Its URL says which ticket is open (?ticket=<id>), so it can be linked to and Back
// closes it; closing gives the keyboard back to the row it came from.

import { $, api, dateTime, debounce, errorText, t, toast } from "./common.js";
import { Conversation } from "./conversation.js";
import { Composer } from "./composer.js";
import { byText, eventName, REASON, STATUS, why } from "./labels.js";

const HISTORY = 50;  // a ticket's moves shown; a longer story is in the history's own section
const TYPING = new Set(["INPUT", "TEXTAREA", "SELECT"]);
const field = (root, name) => root.querySelector(`[data-field="${name}"]`);

export class TicketPanel {
  constructor(floor, offered) {
    this.floor = floor;
    this.entries = [];
    this.conversation = new Conversation({ supervisor: true, hooks: {
      onOpen: () => this.opened(), onClose: () => this.closed(),
      onShown: (ticket) => this.shown(ticket),
      keepsComposer: () => this.composer.keepsComposer(), submit: () => this.composer.submit(),
      decorate: (li, m) => this.composer.decorate(li, m),
    } });
    this.composer = new Composer(this.conversation, offered);
    this.root = this.conversation.root;
    for (const close of this.root.querySelectorAll('[data-action="panel-close"]')) {
      close.addEventListener("click", () => this.close());
    }
    // On the document: the focus may be on the page behind, or nowhere (a button redrawn).
    document.addEventListener("keydown", (event) => this.key(event));
    window.addEventListener("popstate", () => this.followUrl());
    this.historySoon = debounce(() => this.readHistory(this.id), 300);
  }

  get id() { return this.conversation.ticketId; }

  /** Open ticket `id`'s page; `part` "history" brings its history into view. */
  async open(id, { part = null, remember = true } = {}) {
    const ticketId = Number(id);
    try {
      await Promise.all([this.conversation.open(ticketId), this.readHistory(ticketId)]);
    } catch (error) {
      toast(errorText(error), "error");
      return;
    }
    if (this.id !== ticketId) return;  // another ticket was opened meanwhile
    this.openedFrom = ticketId;
    if (remember) this.remember(ticketId);
    if (part === "history") {
      const heading = $("panel-history-title");
      heading.scrollIntoView({ block: "start" });
      heading.focus({ preventScroll: true });
    } else if (!this.root.contains(document.activeElement)) {  // unless already in it
      this.root.scrollTop = 0;
      this.root.focus({ preventScroll: true });
    }
  }

  /** Close in place (the address loses its ticket). Not by history.back(): its popstate
   * comes later, and a second Escape meanwhile went back twice. */
  close() {
    if (this.conversation.shown) this.conversation.close();
  }

  opened() {
    document.body.classList.add("panel-open");
  }

  closed() {
    const was = this.openedFrom;
    document.body.classList.remove("panel-open");
    this.entries = [];
    const url = new URL(location.href);
    if (url.searchParams.has("ticket")) {
      url.searchParams.delete("ticket");
      history.replaceState(history.state, "", url);
    }
    $("tickets").querySelector(`button[data-action="menu"][data-id="${was}"]`)?.focus();
  }

  /** The open ticket in the address bar: pushed when the panel opens, so Back closes it. */
  remember(id) {
    const url = new URL(location.href);
    if (url.searchParams.get("ticket") === String(id)) return;
    const had = url.searchParams.has("ticket");
    url.searchParams.set("ticket", id);
    history[had ? "replaceState" : "pushState"]({ ticket: id }, "", url);
  }

  /** The address names a ticket (a link, Back or Forward): show that one, or none. */
  followUrl() {
    const wanted = Number(new URL(location.href).searchParams.get("ticket"));
    if (wanted > 0 && wanted !== this.id) {
      this.open(wanted, { remember: false });
    } else if (!wanted && this.conversation.shown) this.conversation.close();
  }

  key(event) {
    if (event.key !== "Escape" || event.defaultPrevented || !this.conversation.shown
        || document.querySelector("dialog[open]")) return;
    event.preventDefault();
    // In a field, Escape first leaves the field (a reply half typed stays); then the panel.
    if (TYPING.has(event.target.tagName) && this.root.contains(event.target)) this.root.focus();
    else this.close();
  }

  /** An event of the stream: the conversation takes what it carries; a move of this ticket
   * adds to its history, read again (one small read, however many moves came at once). */
  onEvent(event) {
    this.conversation.onEvent(event);
    const id = event.ticket_id ?? event.ticket?.id;
    if (this.id !== null && id === this.id && !event.type.startsWith("message.")) this.historySoon();
  }

  async readHistory(id) {
    if (id === null) return;
    const page = await api("GET", `/history?ticket_id=${id}&order=desc&limit=${HISTORY}`);
    if (id !== this.id && this.id !== null) return;
    this.entries = page.items;
    this.showHistory();
  }

  /** Agents' names arrived or changed: the history and the holder say them. */
  namesChanged() {
    if (!this.conversation.shown) return;
    this.showHistory();
    if (this.conversation.ticket) this.shown(this.conversation.ticket);
  }

  name(id, fallback) {
    return this.floor.agents.find((a) => a.id === Number(id))?.name ?? fallback ?? (id ? `#${id}` : "");
  }

  shown(ticket) {
    this.composer.shown(ticket);
    const holder = ticket.assigned_agent_id;
    field(this.root, "holder").textContent = holder ? this.name(holder, ticket.agent_name) : "—";
    field(this.root, "status").textContent = STATUS[ticket.status] ?? ticket.status;
    field(this.root, "why").textContent = this.why(ticket);
  }

  /** Why its agent has it: the move that gave it to them, as the history explains it. */
  why(ticket) {
    const holder = ticket.assigned_agent_id;
    const move = holder && this.entries.find((e) => e.to_agent_id === holder);
    if (!move) return t("panel.why_none");
    const nameOf = (id, fallback) => this.name(id, fallback);
    return why(move.detail, nameOf)
      || [eventName(move.event), REASON[move.reason] ?? move.reason,
          byText(move, (id) => this.name(id))].filter(Boolean).join(" · ");
  }

  showHistory() {
    const name = (id) => (id ? this.name(id) : "");
    const nameOf = (id, fallback) => this.name(id, fallback);
    const items = this.entries.map((entry) => {
      const li = document.createElement("li");
      const head = document.createElement("p");
      const when = document.createElement("time");
      when.dateTime = entry.at;
      when.textContent = dateTime(entry.at);
      const what = document.createElement("strong");
      what.textContent = eventName(entry.event);
      const from = name(entry.from_agent_id);
      const to = name(entry.to_agent_id);
      const rest = [REASON[entry.reason] ?? entry.reason,
                    from || to ? `${from || "—"} → ${to || "—"}` : "",
                    byText(entry, (id) => name(Number(id)))].filter(Boolean).join(" · ");
      head.append(when, " ", what, rest ? ` · ${rest}` : "");
      li.append(head);
      const because = why(entry.detail, nameOf);
      if (because) {
        const p = document.createElement("p");
        p.className = "why";
        p.textContent = because;
        li.append(p);
      }
      return li;
    });
    field(this.root, "history").replaceChildren(...items);
    field(this.root, "no-history").hidden = items.length > 0;
    if (this.conversation.ticket) field(this.root, "why").textContent = this.why(this.conversation.ticket);
  }
}
