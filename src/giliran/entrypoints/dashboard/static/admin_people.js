// People and queues from the page: a new agent (its token shown once, with a copy button),
// deactivating one, and a new queue. Each saves through the API and leaves the rest to the
// live refresh.

import { $, api, errorText, t, toast } from "./common.js";
import { fillQueueBoxes } from "./queue_boxes.js";

let floor = null;

export function setupPeople(state, editedAgent) {
  floor = state;
  $("new-agent").addEventListener("click", openNewAgent);
  $("new-queue").addEventListener("click", () => {
    $("new-queue-form").reset();
    $("new-queue-error").textContent = "";
    $("new-queue-dialog").showModal();
  });
  $("new-agent-form").addEventListener("submit", createAgent);
  $("new-queue-form").addEventListener("submit", createQueue);
  $("new-agent-copy").addEventListener("click", copyToken);
  $("new-agent-dialog").addEventListener("close", () => {
    $("new-agent-token-value").value = "";  // shown once: gone when the dialog closes
  });
  $("agent-deactivate").addEventListener("click", () => deactivate(editedAgent()));
}

function openNewAgent() {
  const form = $("new-agent-form");
  form.reset();
  form.hidden = false;
  $("new-agent-token").hidden = true;
  $("new-agent-error").textContent = "";
  $("new-agent-copied").textContent = "";
  $("new-agent-warning").hidden = true;
  fillQueueBoxes($("new-agent-queues"), floor.queues, ["default"]);
  $("new-agent-dialog").showModal();
}

async function createAgent(event) {
  event.preventDefault();
  const queues = [...$("new-agent-queues").querySelectorAll("input:checked")].map((i) => i.value);
  $("new-agent-error").textContent = "";
  try {
    const agent = await api("POST", "/agents", {
      name: $("new-agent-name").value.trim(), max_tickets: Number($("new-agent-max").value),
      queues,
    });
    $("new-agent-form").hidden = true;
    $("new-agent-token").hidden = false;
    // Created all the same: the warning says what the supervisor may not have meant.
    const twin = (agent.warnings ?? []).some((w) => w.code === "duplicate_name");
    $("new-agent-warning").textContent = twin ? t("people.duplicate_name", { name: agent.name }) : "";
    $("new-agent-warning").hidden = !twin;
    $("new-agent-token-value").value = agent.token;
    $("new-agent-token-value").select();
    toast(t("people.created", { name: agent.name }));
    floor.refresh();
  } catch (error) {
    $("new-agent-error").textContent = errorText(error);
  }
}

async function copyToken() {
  const value = $("new-agent-token-value").value;
  try {
    await navigator.clipboard.writeText(value);
  } catch {
    $("new-agent-token-value").select();  // no clipboard here (e.g. plain http): select it
    document.execCommand("copy");
  }
  $("new-agent-copied").textContent = t("people.copied");
}

async function createQueue(event) {
  event.preventDefault();
  $("new-queue-error").textContent = "";
  const body = { name: $("new-queue-name").value.trim() };
  if ($("new-queue-preset").value) body.preset = $("new-queue-preset").value;
  try {
    await api("POST", "/queues", body);
    $("new-queue-dialog").close();
    toast(t("people.queue_created", { name: body.name }));
    floor.refresh();
  } catch (error) {
    $("new-queue-error").textContent = errorText(error);
  }
}

/** Deactivate from its settings: its tickets go back to the queue; it can no longer log in. */
async function deactivate(agent) {
  const button = $("agent-deactivate");
  if (!button.dataset.armed) {
    button.dataset.armed = "1";
    button.textContent = t("people.deactivate_confirm", { name: agent.name });
    return;
  }
  try {
    await api("PATCH", `/agents/${agent.id}`, { active: false });
    $("agent-dialog").close();
    toast(t("people.deactivated", { name: agent.name }));
    floor.refresh();
  } catch (error) {
    $("agent-error").textContent = errorText(error);
  }
}
