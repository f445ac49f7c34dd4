// The supervisor's dialogs: reassign a ticket, an agent's settings, a queue's policy (and its
// presets and rollout), the rotation order and who is next in turn, and lifting pauses. Each
// saves through the API and leaves the rest to the live refresh.

import { $, api, errorText, t, toast } from "./common.js";
import { PRESENCE } from "./labels.js";
import { fillQueueBoxes } from "./queue_boxes.js";
import { agentName } from "./agent_names.js";
import { scheduleNames } from "./admin_schedules.js";

const PRESET = { lead_rotation: t("preset.lead_rotation"), ticket_desk: t("preset.ticket_desk") };

let floor = null;
let reassigning = null;  // the ticket in the reassign dialog
let editingAgent = null;
let editingQueue = null;

export function setupForms(state) {
  floor = state;
  for (const close of document.querySelectorAll("dialog [data-close]")) {
    close.addEventListener("click", () => close.closest("dialog").close());
  }
  $("reassign-form").addEventListener("submit", (event) => save(event, "reassign-error", async () => {
    const agentId = Number($("reassign-agent").value);
    await api("POST", `/tickets/${reassigning.id}/reassign`,
              { agent_id: agentId, force: $("reassign-force").checked });
    const name = agentName(agentId);
    toast(t("reassign.done", { number: reassigning.number, name }));
  }));
  $("agent-form").addEventListener("submit", (event) => save(event, "agent-error", async () => {
    const queues = [...$("agent-queues").querySelectorAll("input:checked")].map((i) => i.value);
    await api("PATCH", `/agents/${editingAgent.id}`, {
      max_tickets: Number($("agent-max").value), auto_assign: $("agent-auto").checked,
      auto_assign_locked: $("agent-locked").checked, language: $("agent-language").value,
      rotation_order: Number($("agent-order").value), queues,
    });
    toast(t("agent_settings.saved", { name: editingAgent.name }));
  }));
  $("queue-form").addEventListener("submit", (event) => save(event, "queue-error", async () => {
    const form = $("queue-form");
    const body = {};
    for (const name of CHOICES) body[name] = form[name].value;
    for (const name of NUMBERS) body[name] = Number(form[name].value);
    body.active = form.active.checked;  // off: the queue takes no new tickets
    body.hold_frees_slot = form.hold_frees_slot.checked;
    Object.assign(body, hoursOf(form));
    await api("PATCH", `/queues/${encodeURIComponent(editingQueue)}`, body);
    toast(t("queue.saved", { name: editingQueue }));
  }));
  $("queue-preset-apply").addEventListener("click", applyPreset);
}

const NUMBERS = ["accept_timeout_seconds", "max_escalations", "away_after_misses",
                 "max_wait_seconds", "priority_aging_seconds", "auto_assign_percent",
                 "max_per_agent", "service_level_seconds", "hold_minutes",
                 "reply_timeout_seconds"];
const CHOICES = ["strategy", "offline_policy", "slot_freed_on", "claim", "pickup",
                 "hold_expiry", "waiting_order"];
const clockBoxes = (form) => [...form.querySelectorAll('input[name="calendar_clocks"]')];

/** The queue's opening hours as the dialog sets them ("" schedule: always open). */
function hoursOf(form) {
  return {
    schedule: form.schedule.value || null,
    calendar_clocks: clockBoxes(form).filter((b) => b.checked).map((b) => b.value),
    out_of_hours_reply: form.out_of_hours_reply.checked,
    offline_at_closing: form.offline_at_closing.checked,
  };
}

/** The schedule choice: "Always open", then the desk's schedules (the queue's kept even if it
 * could not be listed). */
async function fillSchedules(queue) {
  let names = [];
  try {
    names = await scheduleNames();
  } catch {
    names = [];
  }
  if (queue.schedule && !names.includes(queue.schedule)) names.push(queue.schedule);
  $("queue-schedule").replaceChildren(new Option(t("queue.always_open"), ""),
                                      ...names.map((n) => new Option(n, n)));
  $("queue-schedule").value = queue.schedule ?? "";
}

/** A preset at once; the dialog stays open showing what it set, for further changes. */
async function applyPreset() {
  const preset = $("queue-preset").value;
  $("queue-error").textContent = "";
  try {
    const queue = await api("PATCH", `/queues/${encodeURIComponent(editingQueue)}`,
                            { preset });
    floor.queues = floor.queues.map((q) => (q.name === queue.name ? queue : q));
    fillQueue(queue);
    toast(t("queue.preset_applied", { preset: PRESET[preset], name: editingQueue }));
    floor.refresh();
  } catch (error) {
    $("queue-error").textContent = errorText(error);
  }
}

function fillQueue(queue) {
  const form = $("queue-form");
  for (const name of CHOICES) form[name].value = queue[name];
  for (const name of NUMBERS) form[name].value = queue[name];
  form.active.checked = queue.active;
  form.hold_frees_slot.checked = queue.hold_frees_slot;
  form.out_of_hours_reply.checked = queue.out_of_hours_reply;
  form.offline_at_closing.checked = queue.offline_at_closing;
  for (const box of clockBoxes(form)) box.checked = queue.calendar_clocks.includes(box.value);
  fillSchedules(queue);
}

/** The rollout so far: which way the last day's tickets went, and how the manual ones ended. */
async function showRollout(name) {
  $("queue-rollout-figures").textContent = "";
  try {
    const r = await api("GET", `/queues/${encodeURIComponent(name)}/rollout`);
    $("queue-rollout-figures").textContent = t("queue.rollout_figures", {
      automatic: r.automatic, manual: r.manual, picked: r.manual_picked_up,
      waiting: r.manual_waiting, other: r.manual_other,
    });
  } catch (error) {
    $("queue-rollout-figures").textContent = errorText(error);
  }
}

/** "Next in turn: ▾" on a queue's figures. */
export async function setNext(queue, agentId) {
  try {
    await api("PATCH", `/queues/${encodeURIComponent(queue)}`,
              { next_agent_id: agentId });
    const name = agentName(agentId);
    toast(t("admin.next_set", { name, queue }));
  } catch (error) {
    toast(errorText(error), "error");
  }
  floor.refresh();
}

/** Lift an agent's pause in a queue. */
export async function resume(agentId, queue) {
  try {
    await api("POST", `/agents/${agentId}/queues/${encodeURIComponent(queue)}/resume`);
    const name = agentName(agentId);
    toast(t("admin.resumed", { name, queue }));
  } catch (error) {
    toast(errorText(error), "error");
  }
  floor.refresh();
}

/** Submit a dialog's form: close it when the API agrees, else say why inside it. */
async function save(event, errorId, send) {
  event.preventDefault();
  const dialog = event.target.closest("dialog");
  const submit = event.target.querySelector('button[type="submit"]');
  $(errorId).textContent = "";
  submit.disabled = true;
  try {
    await send();
    dialog.close();
    floor.refresh();
  } catch (error) {
    $(errorId).textContent = errorText(error);
  } finally {
    submit.disabled = false;
  }
}

export function openReassign(ticket) {
  reassigning = ticket;
  $("reassign-title").textContent = t("reassign.title", { number: ticket.number });
  const options = floor.workload.agents.map((a) => {
    const option = document.createElement("option");
    option.value = a.id;
    option.textContent = t("reassign.option", {
      name: a.name, presence: PRESENCE[a.presence], active: a.active_tickets, max: a.max_tickets,
    });
    option.disabled = a.id === ticket.assigned_agent_id;
    return option;
  });
  $("reassign-agent").replaceChildren(...options);
  $("reassign-agent").value = options.find((o) => !o.disabled)?.value ?? "";
  $("reassign-force").checked = false;
  $("reassign-error").textContent = "";
  $("reassign-dialog").showModal();
}

/** The agent whose settings are open. */
export const editedAgent = () => editingAgent;

export function openAgent(agent) {
  editingAgent = agent;
  delete $("agent-deactivate").dataset.armed;
  $("agent-deactivate").textContent = t("people.deactivate");
  $("agent-dialog-title").textContent = t("agent_settings.title", { name: agent.name });
  $("agent-max").value = agent.max_tickets;
  $("agent-auto").checked = agent.auto_assign;
  $("agent-locked").checked = agent.auto_assign_locked;
  $("agent-language").value = agent.language;
  $("agent-order").value = agent.rotation_order;
  fillQueueBoxes($("agent-queues"), floor.queues, agent.queues);
  $("agent-error").textContent = "";
  $("agent-dialog").showModal();
}

export function openQueue(name) {
  editingQueue = name;
  const queue = floor.queues.find((q) => q.name === name);
  $("queue-dialog-title").textContent = t("queue.title", { name });
  fillQueue(queue);
  $("queue-error").textContent = "";
  $("queue-dialog").showModal();
  showRollout(name);
}

/** The agents in turn order (rotation_order, then id): a rotation's order, and how other
 * strategies break ties. */
export const rotation = (agents) =>
  [...agents].sort((a, b) => a.rotation_order - b.rotation_order || a.id - b.id);
