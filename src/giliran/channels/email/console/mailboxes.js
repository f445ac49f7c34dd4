// The desk's mailboxes in the console's Queues view (email's section, served from the channel's
// package): a list, a dialog to add or change one, and deactivation after a confirmation.
// Passwords and the SMTP URL are write-only: the dialog shows that one is set and sends a new
// one only when typed; "forget" sends null. Shown to those who configure the desk.

import { $, api, errorText, t, toast } from "/dashboard/static/common.js";
import { whenSignedIn } from "/dashboard/static/sections.js";

const CONFIGURES = new Set(["owner", "admin"]);
const SECRETS = ["imap_password", "smtp_url"];
const TEXTS = ["address", "name", "imap_host", "imap_user", "imap_folder", "imap_move_to"];
const NUMBERS = ["imap_port", "poll_seconds"];
const PLACEHOLDERS = { imap_password: "", smtp_url: "smtps://user:password@host:465" };
let mailboxes = [];
let editing = null;  // the mailbox the dialog changes; null: a new one
let deactivating = null;

whenSignedIn((me) => {
  if (!CONFIGURES.has(me.role)) return;
  $("mailboxes-section").hidden = false;
  $("mailbox-add").addEventListener("click", () => open(null));
  $("mailbox-form").addEventListener("submit", save);
  $("mailboxes").addEventListener("click", onAction);
  $("mailbox-confirm-form").addEventListener("submit", deactivate);
  for (const name of SECRETS) field(`${name}_clear`).addEventListener("change", showSecrets);
  show();
});

function field(name) {
  return $("mailbox-form").elements.namedItem(name);
}

async function show() {
  try {
    mailboxes = (await api("GET", "/mailboxes")).items;
    $("mailboxes-error").textContent = "";
  } catch (error) {
    $("mailboxes-error").textContent = errorText(error);
    return;
  }
  $("mailboxes").tBodies[0].replaceChildren(...mailboxes.map(row));
  $("mailboxes-empty").hidden = mailboxes.length > 0;
}

function cell(text, label, className) {
  const td = document.createElement("td");
  td.textContent = text;
  td.dataset.label = label;
  if (className) td.className = className;
  return td;
}

function button(text, label, action, id) {
  const b = document.createElement("button");
  Object.assign(b, { type: "button", className: "quiet", textContent: text });
  b.setAttribute("aria-label", label);
  Object.assign(b.dataset, { action, id });
  return b;
}

function row(m) {
  const tr = document.createElement("tr");
  tr.dataset.id = m.id;
  const where = m.imap_host
    ? `${t("mailboxes.in_imap", { host: m.imap_host })} · ${m.imap_password_set
      ? t("mailboxes.password_set") : t("mailboxes.password_missing")}`
    : t("mailboxes.in_other");
  const address = cell(m.address, t("mailboxes.col_address"), "mailbox-address");
  if (m.name) {
    const name = document.createElement("span");
    name.className = "meta";
    name.textContent = m.name;
    address.append(document.createElement("br"), name);
  }
  const status = cell("", t("mailboxes.col_status"));
  const badge = document.createElement("span");
  badge.className = "badge";
  badge.dataset.state = m.active ? "active" : "inactive";
  badge.textContent = m.active ? t("mailboxes.active") : t("mailboxes.inactive");
  status.append(badge);
  const actions = cell("", "");
  actions.append(button(t("mailboxes.edit"), t("mailboxes.edit_label", { address: m.address }),
                        "edit", m.id));
  if (m.active) {
    actions.append(" ", button(t("mailboxes.deactivate"),
                          t("mailboxes.deactivate_label", { address: m.address }),
                          "deactivate", m.id));
  }
  tr.append(address, cell(m.queue, t("mailboxes.col_queue")), cell(where, t("mailboxes.col_in")),
            cell(m.smtp_server ?? t("mailboxes.out_default"), t("mailboxes.col_out")),
            status, actions);
  return tr;
}

function onAction(event) {
  const b = event.target.closest("button[data-action]");
  if (!b) return;
  const m = mailboxes.find((x) => String(x.id) === b.dataset.id);
  if (!m) return;
  if (b.dataset.action === "edit") open(m);
  else {
    deactivating = m;
    $("mailbox-confirm-text").textContent = t("mailboxes.deactivate_confirm",
                                              { address: m.address });
    $("mailbox-confirm-error").textContent = "";
    $("mailbox-confirm-dialog").showModal();
  }
}

async function open(m) {
  editing = m;
  const form = $("mailbox-form");
  form.reset();
  $("mailbox-error").textContent = "";
  $("mailbox-dialog-title").textContent = m
    ? t("mailboxes.edit_title", { address: m.address }) : t("mailboxes.add");
  await fillQueues(m?.queue);
  for (const name of [...TEXTS, ...NUMBERS]) field(name).value = m?.[name] ?? "";
  field("imap_security").value = m?.imap_security ?? "tls";
  field("imap_idle").checked = m?.imap_idle ?? true;
  field("block_list").value = (m?.block_list ?? []).join("\n");
  for (const name of SECRETS) {
    const set = m?.[`${name}_set`] ?? false;
    field(name).placeholder = set ? t("mailboxes.secret_set") : PLACEHOLDERS[name];
    clearBox(name, set);
  }
  $("mailbox-dialog").showModal();
}

/** "Forget the saved one", under a secret that is set. */
function clearBox(name, set) {
  const box = field(`${name}_clear`);
  box.checked = false;
  box.closest("label").hidden = !set;
  showSecrets();
}

function showSecrets() {
  for (const name of SECRETS) field(name).disabled = field(`${name}_clear`).checked;
}

async function fillQueues(chosen) {
  const found = await api("GET", "/queues");
  const names = (Array.isArray(found) ? found : found.items).map((q) => q.name);
  $("mailbox-queue").replaceChildren(...names.map((name) => new Option(name, name)));
  $("mailbox-queue").value = chosen ?? names[0];
}

function body() {
  const sent = { queue: field("queue").value, imap_security: field("imap_security").value,
                 imap_idle: field("imap_idle").checked };
  for (const name of TEXTS) sent[name] = field(name).value.trim() || null;
  for (const name of NUMBERS) sent[name] = field(name).value ? Number(field(name).value) : null;
  sent.block_list = field("block_list").value.split("\n").map((s) => s.trim()).filter(Boolean);
  for (const name of SECRETS) {
    if (field(`${name}_clear`).checked) sent[name] = null;
    else if (field(name).value) sent[name] = field(name).value;
  }
  if (!editing) {  // a new mailbox: what is left empty takes the server's default
    for (const [k, v] of Object.entries(sent)) if (v === null) delete sent[k];
  } else {
    for (const name of ["imap_folder", "poll_seconds", "name"]) {
      if (sent[name] === null) delete sent[name];
    }
  }
  return sent;
}

async function save(event) {
  event.preventDefault();
  try {
    const saved = editing
      ? await api("PATCH", `/mailboxes/${editing.id}`, body())
      : await api("POST", "/mailboxes", body());
    $("mailbox-dialog").close();
    toast(t("mailboxes.saved", { address: saved.address }));
    show();
  } catch (error) {
    $("mailbox-error").textContent = error?.code === "mailbox_taken"
      ? t("mailboxes.taken") : errorText(error);
  }
}

async function deactivate(event) {
  event.preventDefault();
  try {
    await api("DELETE", `/mailboxes/${deactivating.id}`);
    $("mailbox-confirm-dialog").close();
    toast(t("mailboxes.deactivated", { address: deactivating.address }));
    show();
  } catch (error) {
    $("mailbox-confirm-error").textContent = errorText(error);
  }
}
