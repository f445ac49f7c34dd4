// The supervisor's ticket list: searched, filtered, sorted and paged by the server (one page at
// a time, with the total), one line per ticket whose moves (open, history, reassign, unassign,
// priority, front, cancel) are in its "Actions" menu (row_menu.js), a refusal answered in the
// row itself with the server's words.

import { $, ago, api, debounce, errorText, t, toast } from "./common.js";
import { PRIORITY, STATUS, flagText, priorityText } from "./labels.js";
import { keepParams } from "./views.js";
import { choose, keepChoices } from "./choices.js";
import { filtersChanged, markRows } from "./admin_bulk.js";
import { RowMenu, menuButtonKey } from "./row_menu.js";

const PAGE = 25;
const CHANNEL = { whatsapp: "WhatsApp", telegram: "Telegram", api: "API" };
let floor = null;
let offset = 0;
let latest = 0;
let watched = null;  // the query string of the list shown
let armed = null;  // the ticket whose Cancel was clicked once (kept across redraws)
let menu = null;

export function setupTickets(state) {
  floor = state;
  const form = $("tickets-filters");
  form.addEventListener("submit", (event) => { event.preventDefault(); fromStart(); });
  form.addEventListener("change", fromStart);
  $("tickets-q").addEventListener("input", debounce(fromStart, 300));
  $("tickets-prev").addEventListener("click", () => { offset = Math.max(0, offset - PAGE); showTickets(); });
  $("tickets-next").addEventListener("click", () => { offset += PAGE; showTickets(); });
  menu = new RowMenu($("ticket-menu"), menuItems);
  $("tickets").addEventListener("click", onAction);
  $("ticket-menu").addEventListener("click", onAction);
  $("tickets").addEventListener("keydown", (event) => {
    const button = event.target.closest('button[data-action="menu"]');
    if (button) menuButtonKey(event, menu, button);
  });
}

const menuButton = (id) => $("tickets").querySelector(`button[data-action="menu"][data-id="${id}"]`);

function fromStart() {
  offset = 0;
  filtersChanged();
  keepParams(linkParams());
  showTickets();
}

// The filters a link to the list carries (/admin/tickets?flagged=true&queue=sales), with the
// form's fields they fill; the defaults (open tickets, queue order) are left out. (A ticket's
// page, ?ticket=<id>, is the panel's: admin_ticket.js.)
const LINKED = [["q", "tickets-q"], ["status", "tickets-status"], ["queue", "tickets-queue"],
                ["priority", "tickets-priority"], ["agent_id", "tickets-agent"],
                ["channel", "tickets-channel"], ["waiting", "tickets-waiting"],
                ["sort", "tickets-sort"], ["order", "tickets-order"]];
const DEFAULTS = { status: "open", sort: "queue_order", order: "asc" };

function linkParams() {
  const params = new URLSearchParams();
  for (const [name, id] of LINKED) {
    const value = $(id).value.trim();
    if (value && value !== (DEFAULTS[name] ?? "")) params.set(name, value);
  }
  if ($("tickets-flagged").checked) params.set("flagged", "true");
  return params;
}

/** Opened by a link (or back/forward): the list as the link says, read again if it differs
 * from the one shown. A queue or an agent the choices do not hold yet is kept until they do. */
export function openTicketsLink(params) {
  $("tickets-filters").reset();
  for (const [name, id] of LINKED) {
    choose($(id), params.get(name) ?? DEFAULTS[name] ?? "");
  }
  $("tickets-flagged").checked = params.get("flagged") === "true";
  const before = watched;
  offset = 0;
  if (floor?.stream && query().toString() !== before) showTickets();  // else the first read does
}

/** The filters' choices that follow the floor: its queues and agents. */
export function fillTicketChoices() {
  const linked = [
    keepChoices($("tickets-queue"), floor.queues.map((q) => [q.name, q.name])),
    keepChoices($("tickets-agent"), floor.agents.map((a) => [String(a.id), a.name])),
  ];
  if (linked.some(Boolean)) fromStart();  // a link's queue or agent exists now: its list
}


/** The list's filters as POST /tickets/bulk takes them (every ticket they match). */
export function ticketFilter() {
  const filter = {};
  const status = $("tickets-status").value;
  if (status === "open") filter.open = true;
  else if (status) filter.status = status;
  const q = $("tickets-q").value.trim();
  if (q) filter.q = q;
  if ($("tickets-queue").value) filter.queue = $("tickets-queue").value;
  if ($("tickets-priority").value) filter.priority = $("tickets-priority").value;
  if ($("tickets-agent").value) filter.agent_id = Number($("tickets-agent").value);
  if ($("tickets-channel").value) filter.channel = $("tickets-channel").value;
  const minutes = Number($("tickets-waiting").value);
  if (minutes > 0) filter.waiting_longer_than = Math.round(minutes * 60);
  if ($("tickets-flagged").checked) filter.flagged = true;
  return filter;
}

function query() {
  const params = new URLSearchParams({ limit: PAGE, offset });
  const status = $("tickets-status").value;
  if (status === "open") params.set("open", "true");
  else if (status) params.set("status", status);
  const q = $("tickets-q").value.trim();
  if (q) params.set("q", q);
  for (const [id, name] of [["tickets-queue", "queue"], ["tickets-priority", "priority"],
                            ["tickets-agent", "agent_id"], ["tickets-channel", "channel"]]) {
    if ($(id).value) params.set(name, $(id).value);
  }
  const minutes = Number($("tickets-waiting").value);
  if (minutes > 0) params.set("waiting_longer_than", String(Math.round(minutes * 60)));
  if ($("tickets-flagged").checked) params.set("flagged", "true");
  params.set("sort", $("tickets-sort").value);
  params.set("order", $("tickets-order").value);
  return params;
}

/** Read the list (on connecting, or when the supervisor changes the filters, the sort or the
 * page), and ask the stream to keep that list current from now on. */
export async function showTickets() {
  const mine = ++latest;
  watched = query().toString();
  floor.stream?.send({ type: "watch", tickets: watched });
  try {
    const page = await api("GET", `/tickets?${watched}`);
    if (mine !== latest) return;
    if (page.items.length === 0 && offset > 0 && page.total > 0) {  // the last page emptied
      offset = Math.max(0, (Math.ceil(page.total / PAGE) - 1) * PAGE);
      return showTickets();
    }
    floor.tickets = page.items;
    draw(page);
  } catch (error) {
    toast(errorText(error), "error");
  }
}

/** The watched list as it is now, from the stream: it replaces the page (a read still on its
 * way is older or as new, so it is dropped). */
export function showTicketsView(view) {
  if (view.query !== watched) return;  // a list the supervisor has left
  latest++;
  floor.tickets = view.page.items;
  draw(view.page);
}

function draw(page) {
  const focused = document.activeElement;
  const again = $("tickets").contains(focused) && focused.dataset.action
    ? `[data-action="${focused.dataset.action}"][data-id="${focused.dataset.id}"]` : null;
  const errors = new Map([...$("tickets").querySelectorAll("[data-field=error]:not(:empty)")]
    .map((p) => [p.dataset.id, p.textContent]));
  // One tbody per ticket: its line, and below it a line for a refusal (shown only then).
  for (const old of [...$("tickets").tBodies]) old.remove();
  $("tickets").append(...page.items.map((ticket) => rows(ticket, errors)));
  $("tickets-empty").hidden = page.items.length > 0;
  $("tickets-count").textContent = page.total
    ? t("history.range", { first: page.offset + 1, last: page.offset + page.items.length,
                           total: page.total })
    : "";
  $("tickets-prev").disabled = page.offset === 0;
  $("tickets-next").disabled = page.offset + page.items.length >= page.total;
  markRows();
  if (again) $("tickets").querySelector(again)?.focus();
  menu.follow(menuButton);
  for (const el of $("tickets").querySelectorAll("[data-ago]")) {
    el.textContent = el.dataset.ago ? ago(el.dataset.ago) : "—";
  }
}

const cell = (text) => {
  const td = document.createElement("td");
  td.textContent = text ?? "—";
  return td;
};

function button(text, label, action, id, quiet = true) {
  const b = document.createElement("button");
  Object.assign(b, { type: "button", className: quiet ? "quiet" : "", textContent: text });
  if (label) b.setAttribute("aria-label", label);
  b.dataset.action = action;
  b.dataset.id = id;
  return b;
}

function rows(ticket, errors) {
  const tbody = document.createElement("tbody");
  tbody.dataset.ticketId = ticket.id;
  const tr = document.createElement("tr");
  tr.className = "ticket";
  const priority = document.createElement("td");
  const badge = document.createElement("span");
  badge.className = "badge priority";
  badge.dataset.priority = ticket.effective_priority ?? ticket.priority;
  badge.textContent = priorityText(ticket);
  priority.append(badge);
  const status = cell(STATUS[ticket.status]);
  if (ticket.flag) {
    const flag = document.createElement("span");
    flag.className = "badge flag";
    flag.textContent = flagText(ticket);
    flag.title = flag.textContent;  // cut to keep the row one line
    status.append(" ", flag);
  }
  const since = cell("");
  since.dataset.ago = ticket.since;
  const deadline = cell("");
  deadline.dataset.ago = ticket.accept_deadline ?? "";
  tr.append(cell(ticket.number), priority, cell(ticket.title), cell(ticket.customer),
            cell(CHANNEL[ticket.channel ?? "api"] ?? ticket.channel), cell(ticket.queue), status,
            cell(ticket.agent_name), since, deadline, actionsCell(ticket));
  tr.cells[2].className = "title";
  tr.cells[2].title = ticket.title;
  tbody.append(tr, errorRow(ticket, errors));
  return tbody;
}

function actionsCell(ticket) {
  const actions = document.createElement("td");
  actions.className = "actions";
  actions.dataset.label = "";  // no label of its own on a phone's card
  const opener = button(`${t("panel.actions")} ▾`, t("panel.actions_of", { number: ticket.number }),
                        "menu", ticket.id);
  opener.setAttribute("aria-haspopup", "menu");
  opener.setAttribute("aria-controls", "ticket-menu");
  opener.setAttribute("aria-expanded", String(menu.id === String(ticket.id)));
  actions.append(opener);
  if (armed === ticket.id) actions.append(confirmCancel(ticket));
  return actions;
}

const confirmCancel = (ticket) => button(
  t("tickets.cancel_confirm"), t("tickets.cancel_confirm_ticket", { number: ticket.number }),
  "cancel", ticket.id, false);

function errorRow(ticket, errors) {
  const below = document.createElement("tr");
  below.className = "row-error";
  const td = document.createElement("td");
  td.colSpan = 11;
  td.dataset.label = "";
  const error = document.createElement("p");
  error.className = "error";
  error.setAttribute("role", "alert");
  error.dataset.field = "error";
  error.dataset.id = ticket.id;
  error.textContent = errors.get(String(ticket.id)) ?? "";
  td.append(error);
  below.append(td);
  return below;
}

/** The items of a ticket's menu, for what its state allows. */
function menuItems(id) {
  const ticket = floor.tickets.find((x) => String(x.id) === String(id));
  $("ticket-menu").setAttribute("aria-label", t("panel.actions_of", { number: ticket?.number ?? id }));
  if (!ticket) return [];
  const n = ticket.number;
  const item = (text, label, action, extra = {}) => {
    const b = button(text, label, action, ticket.id);
    b.className = "menu-item";
    b.setAttribute("role", extra.role ?? "menuitem");
    b.tabIndex = -1;
    if (extra.value) b.dataset.value = extra.value;
    if (extra.checked !== undefined) b.setAttribute("aria-checked", String(extra.checked));
    return b;
  };
  const items = [item(t("admin.open"), t("admin.open_ticket", { number: n }), "conversation"),
                 item(t("admin.history"), t("admin.history_of", { number: n }), "history")];
  if (!["queued", "assigned", "in_progress"].includes(ticket.status)) return items;
  items.push(item(t("admin.reassign"), t("admin.reassign_ticket", { number: n }), "reassign"));
  if (ticket.status !== "queued") {
    items.push(item(t("tickets.unassign"), t("tickets.unassign_ticket", { number: n }), "unassign"));
  } else {
    items.push(item(t("tickets.front"), t("tickets.front_ticket", { number: n }), "front"));
  }
  const group = document.createElement("div");
  group.setAttribute("role", "group");
  group.setAttribute("aria-label", t("tickets.priority_of", { number: n }));
  group.className = "menu-group";
  const heading = document.createElement("span");
  heading.className = "menu-heading";
  heading.setAttribute("aria-hidden", "true");
  heading.textContent = t("panel.priority_group");
  group.append(heading, ...["urgent", "high", "normal", "low"].map((value) => item(
    PRIORITY[value], PRIORITY[value], "priority",  // named without the ○/● drawn before it
    { role: "menuitemradio", value, checked: ticket.priority === value })));
  items.push(group, item(t("tickets.cancel"), t("tickets.cancel_ticket", { number: n }), "cancel"));
  return items;
}

function onAction(event) {
  const target = event.target.closest("button[data-action]");
  if (!target) return;
  const action = target.dataset.action;
  const id = Number(target.dataset.id);
  const row = menuButton(id);
  if (action === "menu") menu.toggle(target);
  else if (action === "unassign") move(row, "POST", "/unassign");
  else if (action === "front") move(row, "POST", "/front");
  else if (action === "priority") move(row, "PATCH", "", { priority: target.dataset.value });
  else if (action === "cancel") {
    // Two steps: the menu's Cancel asks, the row's Confirm cancels (no modal prompt to
    // dismiss by mistake).
    if (armed === id && target.closest("#tickets")) {
      armed = null;
      move(row, "POST", "/cancel");
    } else {
      armed = id;
      const ticket = floor.tickets.find((x) => x.id === id);
      const cellOf = row?.closest("td");
      if (!ticket || !cellOf) return;
      cellOf.querySelector('[data-action="cancel"]')?.remove();
      cellOf.append(confirmCancel(ticket));
      cellOf.querySelector('[data-action="cancel"]').focus();
    }
  }
}

/** One move on a ticket; a refusal is shown in its row, in the server's words. */
async function move(control, method, suffix, body) {
  if (!control) return;
  const id = control.dataset.id;
  const error = $("tickets").querySelector(`[data-field=error][data-id="${id}"]`);
  if (error) error.textContent = "";
  control.setAttribute("aria-busy", "true");
  try {
    const ticket = await api(method, `/tickets/${id}${suffix}`, body);
    toast(t("tickets.done", { number: ticket.number, status: STATUS[ticket.status] }));
  } catch (exc) {
    // Our sentence for the kind of refusal, and the server's own words about this ticket.
    const said = errorText(exc);
    const shown = $("tickets").querySelector(`[data-field=error][data-id="${id}"]`);
    if (shown) shown.textContent = exc.message && !said.includes(exc.message)
      ? `${said} (${exc.message})` : said;
    return;
  } finally {
    control.removeAttribute("aria-busy");
  }
  floor.refresh();
}
