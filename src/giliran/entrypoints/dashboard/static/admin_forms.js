// The supervisor's dialogs: reassign a ticket, an agent's settings, a queue's policy, and the
// rotation order. Each saves through the API and leaves the rest to the live refresh.

import { $, api, errorText, t, toast } from "./common.js";
import { PRESENCE } from "./labels.js";

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
    await api(floor.token, "POST", `/tickets/${reassigning.id}/reassign`,
              { agent_id: agentId, force: $("reassign-force").checked });
    const name = floor.agents.find((a) => a.id === agentId)?.name ?? `#${agentId}`;
    toast(t("reassign.done", { number: reassigning.number, name }));
  }));
  $("agent-form").addEventListener("submit", (event) => save(event, "agent-error", async () => {
    const queues = [...$("agent-queues").querySelectorAll("input:checked")].map((i) => i.value);
    await api(floor.token, "PATCH", `/agents/${editingAgent.id}`, {
      max_tickets: Number($("agent-max").value), auto_assign: $("agent-auto").checked,
      rotation_order: Number($("agent-order").value), queues,
    });
    toast(t("agent_settings.saved", { name: editingAgent.name }));
  }));
  $("queue-form").addEventListener("submit", (event) => save(event, "queue-error", async () => {
    const form = $("queue-form");
    const body = { strategy: form.strategy.value, offline_policy: form.offline_policy.value };
    for (const name of NUMBERS) body[name] = Number(form[name].value);
    await api(floor.token, "PATCH", `/queues/${encodeURIComponent(editingQueue)}`, body);
    toast(t("queue.saved", { name: editingQueue }));
  }));
}

const NUMBERS = ["accept_timeout_seconds", "max_escalations", "away_after_misses",
                 "max_wait_seconds", "priority_aging_seconds", "auto_assign_percent"];

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

export function openAgent(agent) {
  editingAgent = agent;
  $("agent-dialog-title").textContent = t("agent_settings.title", { name: agent.name });
  $("agent-max").value = agent.max_tickets;
  $("agent-auto").checked = agent.auto_assign;
  $("agent-order").value = agent.rotation_order;
  const boxes = floor.queues.map((q) => {
    const label = document.createElement("label");
    label.className = "check";
    const box = document.createElement("input");
    Object.assign(box, { type: "checkbox", value: q.name, checked: agent.queues.includes(q.name) });
    label.append(box, ` ${q.name}`);
    return label;
  });
  $("agent-queues").replaceChildren(...boxes);
  $("agent-error").textContent = "";
  $("agent-dialog").showModal();
}

export function openQueue(name) {
  editingQueue = name;
  const queue = floor.queues.find((q) => q.name === name);
  const form = $("queue-form");
  $("queue-dialog-title").textContent = t("queue.title", { name });
  form.strategy.value = queue.strategy;
  form.offline_policy.value = queue.offline_policy;
  for (const field of NUMBERS) form[field].value = queue[field];
  $("queue-error").textContent = "";
  $("queue-dialog").showModal();
}

/** The agents in the order their ties are broken (rotation_order, then id). */
export const rotation = (agents) =>
  [...agents].sort((a, b) => a.rotation_order - b.rotation_order || a.id - b.id);

/** Swap an agent with its neighbour, then number everyone 10, 20, 30… so the order is
 * unambiguous; only the agents whose number changes are saved. */
export async function moveInRotation(agentId, step) {
  const order = rotation(floor.agents);
  const at = order.findIndex((a) => a.id === agentId);
  const to = at + step;
  if (at < 0 || to < 0 || to >= order.length) return;
  [order[at], order[to]] = [order[to], order[at]];
  try {
    for (const [index, agent] of order.entries()) {
      const wanted = (index + 1) * 10;
      if (agent.rotation_order !== wanted) {
        await api(floor.token, "PATCH", `/agents/${agent.id}`, { rotation_order: wanted });
      }
    }
  } catch (error) {
    toast(errorText(error), "error");
  }
  floor.refresh();
}
