// People in the console (owners and admins): who may sign in and as what. Invite someone (a
// one-time password shown once, with a copy button), change a role, reset a password (shown
// once too), deactivate (after a confirmation that says what it ends). The list is read again
// after each change here, and on a user.changed event (another admin's change, a password
// chosen, sessions ended): the event says whose account changed, not the row the list shows.

import { $, ago, api, dateTime, debounce, errorText, t, toast } from "./common.js";
import { ROLE } from "./labels.js";
import { fillQueueBoxes } from "./queue_boxes.js";

const ROLES = ["agent", "supervisor", "admin", "owner"];
const MANAGES_PEOPLE = new Set(["owner", "admin"]);

let floor = null;
let confirmed = null;  // what the confirm dialog does when confirmed
let shown = false;  // owners and admins only

export function setupUsers(state, me) {
  floor = state;
  if (!MANAGES_PEOPLE.has(me.role)) return;  // supervisors: the section stays hidden
  $("users-section").hidden = false;
  shown = true;
  $("user-invite").addEventListener("click", openInvite);
  $("invite-role").addEventListener("change", showQueuesField);
  $("invite-form").addEventListener("submit", invite);
  $("users").addEventListener("click", onAction);
  $("users").addEventListener("change", onRoleChange);
  $("user-secret-copy").addEventListener("click", copySecret);
  $("user-secret-dialog").addEventListener("close", () => {
    $("user-secret-value").value = "";  // shown once: gone when the dialog closes
  });
  $("user-confirm-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await confirmed();
      $("user-confirm-dialog").close();
    } catch (error) {
      $("user-confirm-error").textContent = errorText(error);
    }
  });
  showUsers();
}

let users = [];

/** A burst of user.changed events (an invitation, a deactivation ending sessions) reads once. */
const readSoon = debounce(() => showUsers(), 300);
export function usersChanged() {
  if (shown) readSoon();
}

async function showUsers() {
  try {
    users = await api("GET", "/users");
    $("users-error").textContent = "";
  } catch (error) {
    $("users-error").textContent = errorText(error);
    return;
  }
  $("users").tBodies[0].replaceChildren(...users.map(userRow));
}

function cell(text, className = "") {
  const td = document.createElement("td");
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

function userRow(user) {
  const tr = document.createElement("tr");
  tr.dataset.id = user.id;
  if (!user.active) tr.className = "inactive";
  const seen = cell(user.last_sign_in_at ? ago(user.last_sign_in_at) : t("users.never"));
  if (user.last_sign_in_at) seen.title = dateTime(user.last_sign_in_at);
  const status = user.active
    ? (user.must_change_password ? t("users.status_invited") : t("users.status_active"))
    : t("users.status_inactive");
  const who = cell(user.name, "person");
  const email = Object.assign(document.createElement("span"),
                              { className: "meta", textContent: user.email ?? "—" });
  who.append(email);
  tr.append(who, roleCell(user), seen,
            cell(String(user.sessions), "num"), cell(status), actionsCell(user));
  return tr;
}

function roleCell(user) {
  const td = document.createElement("td");
  if (!user.active) { td.textContent = ROLE[user.role] ?? user.role; return td; }
  const select = document.createElement("select");
  select.dataset.role = user.id;
  select.setAttribute("aria-label", t("users.role_of", { name: user.name }));
  select.append(...ROLES.map((r) => new Option(ROLE[r], r, false, r === user.role)));
  td.append(select);
  return td;
}

function actionsCell(user) {
  const td = document.createElement("td");
  if (!user.active) return td;
  const button = (action, text, label) => {
    const b = Object.assign(document.createElement("button"),
                            { type: "button", className: "quiet", textContent: text });
    b.dataset.action = action;
    b.setAttribute("aria-label", label);
    return b;
  };
  if (user.has_password || user.must_change_password) {
    td.append(button("reset", t("users.reset"), t("users.reset_label", { name: user.name })));
  }
  td.append(button("deactivate", t("users.deactivate"),
                   t("users.deactivate_label", { name: user.name })));
  return td;
}

function openInvite() {
  $("invite-form").reset();
  $("invite-error").textContent = "";
  fillQueueBoxes($("invite-queues"), floor.queues, []);
  showQueuesField();
  $("invite-dialog").showModal();
}

function showQueuesField() {
  $("invite-queues-field").hidden = $("invite-role").value !== "supervisor";
}

async function invite(event) {
  event.preventDefault();
  const body = {
    email: $("invite-email").value.trim(), name: $("invite-name").value.trim(),
    role: $("invite-role").value,
  };
  if (!body.email || !body.name) { $("invite-error").textContent = t("users.missing"); return; }
  if (body.role === "supervisor") {
    body.queues = [...$("invite-queues").querySelectorAll("input:checked")].map((i) => i.value);
  }
  try {
    const made = await api("POST", "/users", body);
    $("invite-dialog").close();
    showSecret(t("users.invited_title", { name: made.name }),
               t("users.invited_text", { name: made.name, email: made.email }),
               made.one_time_password);
    showUsers();
  } catch (error) {
    $("invite-error").textContent = error.status === 422 && error.code === "invalid_request"
      ? t("users.invalid") : errorText(error);
  }
}

function showSecret(title, text, secret) {
  $("user-secret-title").textContent = title;
  $("user-secret-text").textContent = text;
  $("user-secret-value").value = secret;
  $("user-secret-copied").textContent = "";
  $("user-secret-dialog").showModal();
  $("user-secret-value").select();
}

async function copySecret() {
  const value = $("user-secret-value").value;
  try {
    await navigator.clipboard.writeText(value);
  } catch {
    $("user-secret-value").select();  // no clipboard here (e.g. plain http): select it
    document.execCommand("copy");
  }
  $("user-secret-copied").textContent = t("people.copied");
}

function ask(title, text, submit, then) {
  $("user-confirm-title").textContent = title;
  $("user-confirm-text").textContent = text;
  $("user-confirm-submit").textContent = submit;
  $("user-confirm-error").textContent = "";
  confirmed = then;
  $("user-confirm-dialog").showModal();
}

function onAction(event) {
  const button = event.target.closest("button[data-action]");
  if (!button) return;
  const user = users.find((u) => u.id === Number(button.closest("tr").dataset.id));
  if (button.dataset.action === "reset") {
    ask(t("users.reset_title", { name: user.name }), t("users.reset_text", { name: user.name }),
        t("users.reset"), async () => {
          const answer = await api("POST", `/users/${user.id}/reset-password`);
          showSecret(t("users.reset_done_title", { name: user.name }),
                     t("users.reset_done_text", { name: user.name }),
                     answer.one_time_password);
          showUsers();
        });
  } else {
    ask(t("users.deactivate_title", { name: user.name }),
        t("users.deactivate_text", { name: user.name }), t("users.deactivate"), async () => {
          await api("DELETE", `/users/${user.id}`);
          toast(t("users.deactivated", { name: user.name }));
          showUsers();
          floor.refresh();
        });
  }
}

async function onRoleChange(event) {
  const select = event.target.closest("select[data-role]");
  if (!select) return;
  const user = users.find((u) => u.id === Number(select.dataset.role));
  try {
    await api("PATCH", `/users/${user.id}`, { role: select.value });
    toast(t("users.role_changed", { name: user.name, role: ROLE[select.value] }));
  } catch (error) {
    toast(errorText(error), "error");
  }
  showUsers();
}
