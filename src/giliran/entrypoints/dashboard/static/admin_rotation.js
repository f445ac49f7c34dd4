// Each queue's rotation: its members in turn order, who is next (a marker with words, not a
// colour), and the order changed by dragging a member's handle (mouse or touch), by keyboard
// (Alt+arrows, or Space to lift, arrows, Space to drop) or by the ↑/↓ buttons. One drop is one
// save: PUT /queues/{name}/rotation with the members in their new order.

import { $, actionButton, api, errorText, t, toast } from "./common.js";
import { STRATEGY } from "./labels.js";
import { rotation, setNext } from "./admin_forms.js";

let floor = null;
// The list being moved (a drag, or a member lifted by keyboard): frames that arrive meanwhile
// wait until the drop, so another supervisor's change does not pull the list from under it.
let moving = null;  // { queue, id, was: [ids], pointer?: pointerId }
let redrawLater = false;

export function setupRotation(store) {
  floor = store;
  const root = $("rotation");
  root.addEventListener("click", onClick);
  root.addEventListener("keydown", onKey);
  root.addEventListener("pointerdown", onPointerDown);
  root.addEventListener("focusout", onLeave);
}

/** Redraw every queue's list from the store, unless a member is being moved. */
export function showRotation() {
  if (moving) {
    redrawLater = true;
    return;
  }
  const focused = document.activeElement;
  const spot = $("rotation").contains(focused) && focused.dataset.action
    ? [focused.dataset.action, focused.closest("[data-rotation]").dataset.rotation,
       focused.dataset.id]
    : null;
  const kept = new Map([...$("rotation").querySelectorAll(":scope > [data-rotation]")]
    .map((el) => [el.dataset.rotation, el]));
  for (const q of floor.queues) {
    const block = kept.get(q.name) ?? newBlock(q.name);
    kept.delete(q.name);
    $("rotation").append(block);  // in the floor's order of queues
    fillBlock(block, q);
  }
  for (const gone of kept.values()) gone.remove();
  if (spot) {
    const [action, queue, id] = spot;
    $("rotation").querySelector(`[data-rotation="${CSS.escape(queue)}"] `
      + `[data-action="${action}"][data-id="${id}"]`)?.focus();
  }
}

function newBlock(name) {
  const block = document.createElement("div");
  block.className = "rotation-queue";
  block.dataset.rotation = name;
  const title = document.createElement("h3");
  const list = document.createElement("ol");
  list.className = "rotation";
  block.append(title, list);
  return block;
}

const members = (name) => rotation(floor.agents.filter((a) => a.queues.includes(name)));
const pointerOf = (name) => floor.workload?.queues.find((q) => q.name === name);

function fillBlock(block, q) {
  const now = pointerOf(q.name);
  const title = block.querySelector("h3");
  title.textContent = q.name;
  const strategy = document.createElement("span");
  strategy.className = "meta";
  strategy.textContent = ` · ${STRATEGY[q.strategy] ?? q.strategy}`;
  title.append(strategy);
  const list = block.querySelector("ol");
  list.setAttribute("aria-label", t("rotation.list_for", { name: q.name }));
  const people = members(q.name);
  const items = people.map((a, i) => item(q, a, i, people.length, now?.next_agent_id));
  if (!items.length) {
    const empty = document.createElement("li");
    empty.className = "empty";
    empty.textContent = t("rotation.no_members");
    items.push(empty);
  }
  list.replaceChildren(...items);
}

function item(q, agent, index, count, nextId) {
  const li = document.createElement("li");
  li.dataset.agentId = agent.id;
  const handle = control("⠿", t("rotation.handle", { name: agent.name }), "lift", agent.id);
  handle.classList.add("handle");
  handle.setAttribute("aria-describedby", "rotation-keys");
  const name = document.createElement("span");
  name.className = "who";
  name.textContent = agent.name;
  const up = control("↑", t("admin.move_up", { name: agent.name }), "up", agent.id);
  const down = control("↓", t("admin.move_down", { name: agent.name }), "down", agent.id);
  up.disabled = index === 0;
  down.disabled = index === count - 1;
  const spot = document.createElement("span");
  spot.className = "place";
  spot.textContent = `${index + 1}.`;
  li.append(spot, handle, name);
  const moves = document.createElement("span");
  moves.className = "moves";
  moves.append(up, down);
  // Who is next says so in words, where the others offer to be made next.
  if (agent.id === nextId) {
    li.classList.add("next");
    const marker = document.createElement("span");
    marker.className = "badge next-marker";
    marker.textContent = `▶ ${t("rotation.next")}`;
    moves.append(marker);
  } else if (q.strategy !== "random") {
    moves.append(control(t("rotation.make_next"),
                         t("rotation.make_next_for", { name: agent.name }), "make-next", agent.id));
  }
  li.append(moves);
  return li;
}

const control = actionButton;

// --- the order in the list, and its save ---------------------------------------------------

const listOf = (queue) =>
  $("rotation").querySelector(`[data-rotation="${CSS.escape(queue)}"] ol`);
const idsIn = (queue) => [...listOf(queue).querySelectorAll(":scope > li[data-agent-id]")]
  .map((li) => Number(li.dataset.agentId));
const nameOf = (id) => floor.agents.find((a) => a.id === id)?.name ?? `#${id}`;

function say(text) {
  $("rotation-said").textContent = text;
}

function place(queue, id) {
  const ids = idsIn(queue);
  return { position: ids.indexOf(id) + 1, count: ids.length };
}

/** Move a member's row `step` places in its list (the page only; the drop saves). */
function shift(queue, id, step) {
  const li = listOf(queue).querySelector(`li[data-agent-id="${id}"]`);
  const sibling = step < 0 ? li.previousElementSibling : li.nextElementSibling;
  if (!sibling) return false;
  // The neighbour moves, not the row: a row taken out of the list would lose the focus.
  if (step < 0) li.after(sibling);
  else li.before(sibling);
  renumber(queue);
  return true;
}

/** The places and the ↑/↓ buttons as the rows now stand (while a member moves). */
function renumber(queue) {
  const rows = [...listOf(queue).querySelectorAll(":scope > li[data-agent-id]")];
  rows.forEach((row, index) => {
    row.querySelector(".place").textContent = `${index + 1}.`;
    row.querySelector('[data-action="up"]').disabled = index === 0;
    row.querySelector('[data-action="down"]').disabled = index === rows.length - 1;
  });
}

/** The store takes the order the server will have (members in the places members held, every
 * active agent numbered 10, 20, 30…, as the server does), so a frame read before the save's own
 * does not draw the old order back for a moment. */
function applyLocally(queue, wanted) {
  const everyone = rotation(floor.agents);
  const put = wanted[Symbol.iterator]();
  const order = everyone.map((a) => (a.queues.includes(queue) ? put.next().value : a.id));
  order.forEach((id, index) => {
    const agent = floor.agents.find((a) => a.id === id);
    if (agent) agent.rotation_order = (index + 1) * 10;
  });
}

async function save(queue, id) {
  const wanted = idsIn(queue);
  const { position, count } = place(queue, id);
  moving = { queue, id, was: wanted, saving: true };  // frames wait until the store has it
  try {
    await api("PUT", `/queues/${encodeURIComponent(queue)}/rotation`, { agent_ids: wanted });
    applyLocally(queue, wanted);
    say(t("rotation.saved", { name: nameOf(id), position, count, queue }));
  } catch (error) {
    toast(errorText(error), "error");
  } finally {
    moving = null;
    redrawLater = false;
    showRotation();
  }
}

function unchanged(queue, was) {
  const now = idsIn(queue);
  return now.length === was.length && now.every((x, i) => x === was[i]);
}

// --- buttons and keys -----------------------------------------------------------------------

function onClick(event) {
  const target = event.target.closest("button[data-action]");
  if (!target) return;
  const queue = target.closest("[data-rotation]").dataset.rotation;
  const id = Number(target.dataset.id);
  const action = target.dataset.action;
  if ((action === "up" || action === "down") && !moving) {
    if (shift(queue, id, action === "up" ? -1 : 1)) save(queue, id);
  } else if (action === "make-next") {
    setNext(queue, id);
  }
}

function onKey(event) {
  const handle = event.target.closest('button[data-action="lift"]');
  if (!handle) return;
  const queue = handle.closest("[data-rotation]").dataset.rotation;
  const id = Number(handle.dataset.id);
  const arrow = { ArrowUp: -1, ArrowDown: 1 }[event.key];
  const lifted = moving && !moving.saving && moving.pointer === undefined && moving.id === id
    && moving.queue === queue;
  if (arrow && event.altKey && !moving) {
    event.preventDefault();
    if (shift(queue, id, arrow)) save(queue, id);
  } else if (event.key === " " || event.key === "Enter") {
    event.preventDefault();
    if (lifted) drop(queue, id);
    else if (!moving) lift(queue, id);
  } else if (arrow && lifted) {
    event.preventDefault();
    shift(queue, id, arrow);
    const { position, count } = place(queue, id);
    say(t("rotation.moved", { name: nameOf(id), position, count }));
  } else if (event.key === "Escape" && lifted) {
    event.preventDefault();
    cancel(queue, id);
  }
}

function lift(queue, id) {
  moving = { queue, id, was: idsIn(queue) };
  listOf(queue).querySelector(`li[data-agent-id="${id}"]`).classList.add("lifted");
  const { position, count } = place(queue, id);
  say(t("rotation.lifted", { name: nameOf(id), position, count }));
}

function drop(queue, id) {
  const was = moving.was;
  listOf(queue).querySelector(`li[data-agent-id="${id}"]`)?.classList.remove("lifted");
  if (unchanged(queue, was)) {
    moving = null;
    say(t("rotation.unchanged", { name: nameOf(id) }));
    if (redrawLater) showRotation();
    return;
  }
  save(queue, id);
}

function cancel(queue, id, { refocus = true } = {}) {
  moving = null;
  redrawLater = false;
  showRotation();
  say(t("rotation.cancelled", { name: nameOf(id) }));
  if (refocus) {
    listOf(queue).querySelector(`li[data-agent-id="${id}"] [data-action="lift"]`)?.focus();
  }
}

/** A member lifted by keyboard is put back when the focus goes elsewhere (Tab, a click):
 * otherwise the list would wait for a drop that never comes. */
function onLeave(event) {
  const handle = event.target.closest?.('button[data-action="lift"]');
  if (!handle || !moving || moving.saving || moving.pointer !== undefined) return;
  const queue = handle.closest("[data-rotation]").dataset.rotation;
  if (moving.queue === queue && moving.id === Number(handle.dataset.id)) {
    cancel(queue, moving.id, { refocus: false });
  }
}

// --- dragging (pointer events: a mouse, a pen or a finger on the handle) ---------------------

function onPointerDown(event) {
  const handle = event.target.closest('button[data-action="lift"]');
  if (!handle || moving || event.button !== 0) return;
  event.preventDefault();  // no text selection, no scrolling from the handle (touch-action too)
  const queue = handle.closest("[data-rotation]").dataset.rotation;
  const id = Number(handle.dataset.id);
  moving = { queue, id, was: idsIn(queue), pointer: event.pointerId };
  const li = handle.closest("li");
  li.classList.add("dragging");
  const list = listOf(queue);
  // Listened for on the window: moving the row in the list ends the handle's pointer capture.
  const follow = (move) => {
    if (move.pointerId !== moving?.pointer) return;
    // The row goes before the first other row whose middle is below the pointer.
    const rows = [...list.querySelectorAll(":scope > li[data-agent-id]")]
      .filter((row) => row !== li);
    const before = rows.find((row) => {
      const box = row.getBoundingClientRect();
      return move.clientY < box.top + box.height / 2;
    }) ?? null;
    if (li.nextElementSibling === before) return;  // already there
    list.insertBefore(li, before);
    renumber(queue);
  };
  const end = (up) => {
    if (up.pointerId !== moving?.pointer) return;
    window.removeEventListener("pointermove", follow);
    window.removeEventListener("pointerup", end);
    window.removeEventListener("pointercancel", end);
    li.classList.remove("dragging");
    const was = moving.was;
    if (up.type === "pointercancel" || unchanged(queue, was)) {
      moving = null;
      if (redrawLater || up.type === "pointercancel") showRotation();
      return;
    }
    save(queue, id);
  };
  window.addEventListener("pointermove", follow);
  window.addEventListener("pointerup", end);
  window.addEventListener("pointercancel", end);
}
