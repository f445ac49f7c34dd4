// The Conversations view: an agent's conversations as their inbox shows them (GET
// /agent/inbox?agent_id=), what awaits an answer first, with unread counts and failed replies;
// a click opens the ticket's page beside the list, where the supervisor reads, answers and
// writes notes. The agent is in the URL (/admin/conversations?agent_id=5). The list follows
// the stream: a message or a move of one of its tickets (or a new one for the agent) reads it
// again, at most every second, since an event does not carry the inbox's order and counts.

import { $, api, debounce, errorText, t, toast } from "./common.js";
import { keepParams } from "./views.js";
import { choose, keepChoices } from "./choices.js";

const CHANNEL = { whatsapp: "WhatsApp", telegram: "Telegram" };
let floor = null;
let panel = null;
let shown = new Set();  // the tickets listed
let latest = 0;
const readSoon = debounce(() => read(), 1000);

export function setupConversations(state, ticketPanel) {
  floor = state;
  panel = ticketPanel;
  $("conversations-filters").addEventListener("change", () => {
    keepParams(params());
    read();
  });
  $("conversations").addEventListener("click", (event) => {
    const open = event.target.closest("button[data-ticket]");
    if (open) panel.open(Number(open.dataset.ticket));
  });
}

function params() {
  const p = new URLSearchParams();
  if ($("conversations-agent").value) p.set("agent_id", $("conversations-agent").value);
  if ($("conversations-view").value !== "mine") p.set("view", $("conversations-view").value);
  return p;
}

/** Opened by a link, back or forward: the agent and the view it names. */
export function openConversationsLink(link) {
  choose($("conversations-agent"), link.get("agent_id") ?? "");
  $("conversations-view").value = link.get("view") ?? "mine";
  read();
}

/** The agents to choose from follow the floor's (a link's agent, once it is known). */
export function fillConversationChoices() {
  const pairs = floor.agents.map((a) => [String(a.id), a.name]);
  if (keepChoices($("conversations-agent"), pairs)) read();
}

/** An event: read again when it is about a listed ticket or the chosen agent. */
export function conversationsEvent(event) {
  const agent = Number($("conversations-agent").value);
  if (!agent || $("conversations").closest(".view").hidden) return;
  const ticket = event.ticket_id ?? event.ticket?.id;
  if (shown.has(ticket) || [event.to_agent_id, event.from_agent_id, event.ticket?.agent_id]
    .includes(agent)) readSoon();
}

async function read() {
  const agent = $("conversations-agent").value;
  const mine = ++latest;
  if (!agent) {
    shown = new Set();
    $("conversations").replaceChildren();
    $("conversations-said").textContent = t("conversations.hint");
    return;
  }
  try {
    const inbox = await api("GET", `/agent/inbox?agent_id=${agent}&view=${$("conversations-view").value}`);
    if (mine !== latest) return;
    draw(inbox, $("conversations-agent").selectedOptions[0]?.text ?? "");
  } catch (error) {
    toast(errorText(error), "error");
  }
}

function draw(inbox, name) {
  shown = new Set(inbox.items.map((i) => i.ticket.id));
  $("conversations-said").textContent = inbox.items.length
    ? t("conversations.counts", { name, awaiting: inbox.awaiting_reply, failed: inbox.failed_replies })
    : t("conversations.none");
  $("conversations").replaceChildren(...inbox.items.map(item));
}

function badge(text, className) {
  const span = document.createElement("span");
  span.className = `badge ${className}`;
  span.textContent = text;
  return span;
}

function item(entry) {
  const li = document.createElement("li");
  li.dataset.ticketId = entry.ticket.id;
  const who = entry.customer_name ?? entry.ticket.title;
  const open = document.createElement("button");
  open.type = "button";
  open.className = "quiet conversation-open";
  open.dataset.ticket = entry.ticket.id;
  open.setAttribute("aria-label", t("conversations.open_label", { number: entry.ticket.number, name: who }));
  const title = document.createElement("strong");
  title.textContent = who;
  const meta = document.createElement("span");
  meta.className = "meta";
  meta.textContent = [entry.ticket.number, CHANNEL[entry.channel] ?? t("inbox.channel_none"),
                      entry.ticket.queue].join(" · ");
  const last = document.createElement("span");
  last.className = "last";
  last.textContent = entry.last_message?.body ?? "";
  open.append(title, " ", meta, last);
  li.append(open);
  if (entry.failed_reply) li.append(badge(t("inbox.failed_marker"), "failed"));
  if (entry.awaiting_reply) li.append(badge(t("conversations.awaiting"), "awaiting"));
  if (entry.unread) li.append(badge(t("inbox.unread", { count: entry.unread }), "unread"));
  return li;
}
