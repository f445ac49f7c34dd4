// The agent itself on its page: presence, automatic assignment, the queues it is paused in,
// how many slots it has free, and the pick-up list with its claim buttons.

import { $, ago, t } from "./common.js";
import { showTelegramChoices } from "./agent_telegram.js";
import { CHANNEL, PRESENCE, priorityText } from "./labels.js";

const field = (root, name) => root.querySelector(`[data-field="${name}"]`);

export function showMe(me, queue) {
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
  showPaused(me);
  $("queue-title").textContent = t("agent.queue_title", { count: queue.count, max: queue.max });
  const free = Math.max(0, queue.max - queue.count);
  let line = t("agent.slots_free", { free, max: queue.max });
  if (me.presence !== "online") line = t("agent.not_receiving");
  else if (!me.auto_assign) line = t("agent.manual_only");
  else if (free === 0) line = t("agent.slots_full");
  $("slots-line").textContent = line;
  $("last-assigned").hidden = !me.last_assigned_at;
  $("last-assigned").dataset.lastAssigned = me.last_assigned_at ?? "";
  $("pickup-full").hidden = free > 0;
  $("pickup-full").textContent = t("agent.pickup_full", { count: queue.count, max: queue.max });
}

/** The queues the agent is paused in (after missing tickets there), each with its Resume. */
function showPaused(me) {
  const items = me.paused.map((p) => {
    const li = $("paused-template").content.firstElementChild.cloneNode(true);
    li.dataset.queue = p.queue;
    field(li, "text").textContent = t("agent.paused", {
      queue: p.queue, since: ago(p.since), count: p.missed_in_row,
    });
    li.querySelector('[data-action="resume"]').textContent = t("agent.resume", { queue: p.queue });
    return li;
  });
  const focused = document.activeElement?.closest?.("#paused-list li")?.dataset.queue;
  $("paused-list").replaceChildren(...items);
  if (focused) $("paused-list").querySelector(`li[data-queue="${focused}"] button`)?.focus();
}

/** Cards are kept per ticket and updated in place, so focus survives a refresh. */
function syncCards(list, items, fill) {
  const existing = new Map([...list.children].map((li) => [li.dataset.id, li]));
  items.forEach((item, index) => {
    let li = existing.get(String(item.id));
    existing.delete(String(item.id));
    if (!li) {
      li = $("pickup-template").content.firstElementChild.cloneNode(true);
      li.dataset.id = item.id;
    }
    fill(li, item);
    if (list.children[index] !== li) list.insertBefore(li, list.children[index] ?? null);
  });
  for (const gone of existing.values()) gone.remove();
}

/** The pick-up list: claim buttons, off while the agent has no room. */
export function showAvailable(page, queue) {
  const full = queue.count >= queue.max;
  syncCards($("pickup-list"), page.items, (li, ticket) => {
    field(li, "number").textContent = ticket.number;
    field(li, "priority").textContent = priorityText(ticket);
    field(li, "priority").dataset.priority = ticket.effective_priority ?? ticket.priority;
    field(li, "queue").textContent = ticket.queue;
    field(li, "channel").hidden = !ticket.channel;
    field(li, "channel").textContent = CHANNEL[ticket.channel] ?? ticket.channel ?? "";
    field(li, "title").textContent = ticket.title;
    field(li, "waiting").dataset.waiting = ticket.created_at;
    const pickup = li.querySelector('[data-action="pickup"]');
    pickup.disabled = full;
    if (full) pickup.setAttribute("aria-describedby", "pickup-full");
    else pickup.removeAttribute("aria-describedby");
  });
  $("pickup-empty").hidden = page.items.length > 0 || full;
}
