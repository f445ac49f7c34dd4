// Opening hours in the console's Queues view: the desk's schedules (open now or not, until when,
// in the schedule's own timezone), a dialog to add or change one (the week as intervals per day,
// dated exceptions and holidays as lines), a country's holidays imported for a year, and
// deletion after a confirmation (refused while a queue keeps it). For those who configure.
// The list follows the floor's stream: a `schedule.changed` frame (anyone's change, this page's
// own included) puts the schedule it carries in place, or takes a deleted one out; a
// `queue.changed` one re-reads the list, as which queues keep a schedule may have changed.

import { $, actionButton, api, errorText, lang, t, toast } from "./common.js";
import { whenSignedIn } from "./sections.js";

const CONFIGURES = new Set(["owner", "admin"]);
const DAYS = {
  mon: t("schedules.mon"), tue: t("schedules.tue"), wed: t("schedules.wed"),
  thu: t("schedules.thu"), fri: t("schedules.fri"), sat: t("schedules.sat"),
  sun: t("schedules.sun"),
};
const RANGE = /^(\d\d:\d\d)\s*[-–]\s*(\d\d:\d\d)$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
let schedules = [];
let editing = null;  // the schedule the dialog changes; null: a new one
let deleting = null;
let shown = false;  // the section is this person's (they configure)

whenSignedIn((me) => {
  if (!CONFIGURES.has(me.role)) return;
  shown = true;
  $("schedules-section").hidden = false;
  $("schedule-week").replaceChildren(...Object.entries(DAYS).flatMap(dayField));
  $("schedule-add").addEventListener("click", () => open(null));
  $("schedule-form").addEventListener("submit", save);
  $("schedule-import").addEventListener("click", importHolidays);
  $("schedules").addEventListener("click", onAction);
  $("schedule-confirm-form").addEventListener("submit", remove);
  show();
});

/** The schedules' names, for the queue dialog's choice. */
export async function scheduleNames() {
  return (await api("GET", "/schedules")).items.map((s) => s.name);
}

function dayField([day, label]) {
  const name = document.createElement("label");
  name.htmlFor = `schedule-${day}`;
  name.textContent = label;
  const input = Object.assign(document.createElement("input"), {
    id: `schedule-${day}`, name: day, type: "text", maxLength: 200,
    placeholder: t("schedules.closed"),
  });
  return [name, input];
}

/** A frame of the floor's stream (admin.js hands each one here). */
export function schedulesEvent(event) {
  if (!shown) return;
  if (event.type === "schedule.changed") {
    applied(event.name, event.schedule ?? null);
  } else if (event.type === "queue.changed") {
    readSoon();
  }
}

let reread = null;
function readSoon() {  // a burst of queue changes reads once
  clearTimeout(reread);
  reread = setTimeout(show, 300);
}

/** `name` as it now is (`s`), or gone (null): the list redrawn without a read. */
function applied(name, s) {
  schedules = schedules.filter((x) => x.name !== name);
  if (s) schedules = [...schedules, s].sort((a, b) => (a.name < b.name ? -1 : 1));
  draw();
}

function draw() {
  $("schedules").tBodies[0].replaceChildren(...schedules.map(row));
  $("schedules-empty").hidden = schedules.length > 0;
}

async function show() {
  try {
    schedules = (await api("GET", "/schedules")).items;
    $("schedules-error").textContent = "";
  } catch (error) {
    $("schedules-error").textContent = errorText(error);
    return;
  }
  draw();
}

function cell(text, label) {
  const td = document.createElement("td");
  td.textContent = text;
  td.dataset.label = label;
  return td;
}

const ranges = (pairs) => pairs.map(([a, b]) => `${a}–${b}`).join(", ");

/** The week in a line people read: consecutive days with the same hours as one run
 * ("Monday–Friday 08:00–17:00 · Saturday 09:00–13:00"), closed days left out. */
function weekText(hours) {
  const runs = [];
  for (const [day, label] of Object.entries(DAYS)) {  // in order: a closed day ends a run
    const text = hours[day]?.length ? ranges(hours[day]) : "";
    const last = runs.at(-1);
    if (last && last.text === text) last.to = label;
    else runs.push({ from: label, to: label, text });
  }
  const open = runs.filter((run) => run.text);
  if (!open.length) return t("schedules.never_open");
  const days = (run) => (run.from === run.to ? run.from : `${run.from}–${run.to}`);
  return open.map((run) => `${days(run)} ${run.text}`).join(" · ");
}

function nowText(s) {
  if (!s.until) return s.open_now ? t("schedules.open") : t("schedules.closed");
  const when = new Intl.DateTimeFormat(lang, {
    timeZone: s.timezone, weekday: "short", day: "numeric", month: "short",
    hour: "2-digit", minute: "2-digit",
  }).format(new Date(s.until));
  return s.open_now ? t("schedules.open_until", { time: when })
    : t("schedules.closed_until", { time: when });
}

function row(s) {
  const tr = document.createElement("tr");
  tr.dataset.name = s.name;
  const name = cell(s.name, t("schedules.col_name"));
  const zone = document.createElement("span");
  zone.className = "meta";
  zone.textContent = s.timezone;
  name.append(document.createElement("br"), zone);
  const now = cell("", t("schedules.col_now"));
  const badge = document.createElement("span");
  badge.className = "badge";
  badge.dataset.state = s.open_now ? "active" : "inactive";
  badge.textContent = nowText(s);
  now.append(badge);
  const actions = cell("", "");
  actions.append(actionButton(t("schedules.edit"), t("schedules.edit_label", { name: s.name }),
                              "edit", s.name), " ",
                 actionButton(t("schedules.delete"),
                              t("schedules.delete_label", { name: s.name }), "delete", s.name));
  const week = cell(weekText(s.hours), t("schedules.col_hours"));
  week.className = "wrap";
  tr.append(name, week, now,
            cell(s.queues.join(", ") || "–", t("schedules.col_queues")), actions);
  return tr;
}

function onAction(event) {
  const b = event.target.closest("button[data-action]");
  const s = b && schedules.find((x) => x.name === b.dataset.id);
  if (!s) return;
  if (b.dataset.action === "edit") {
    open(s);
    return;
  }
  deleting = s;
  $("schedule-confirm-text").textContent = t("schedules.delete_confirm", { name: s.name });
  $("schedule-confirm-error").textContent = "";
  $("schedule-confirm-dialog").showModal();
}

const field = (name) => $("schedule-form").elements.namedItem(name);

function open(s) {
  editing = s;
  $("schedule-form").reset();
  $("schedule-error").textContent = "";
  $("schedule-dialog-title").textContent = s
    ? t("schedules.edit_title", { name: s.name }) : t("schedules.add");
  field("name").value = s?.name ?? "";
  field("name").disabled = Boolean(s);
  field("timezone").value = s?.timezone ?? "Asia/Jakarta";
  for (const day of Object.keys(DAYS)) field(day).value = ranges(s?.hours[day] ?? []);
  field("exceptions").value = (s?.exceptions ?? []).map(
    (x) => [x.date, ranges(x.hours), x.note].filter(Boolean).join(" ")).join("\n");
  field("holidays").value = (s?.holidays ?? []).map((h) => `${h.date} ${h.name}`).join("\n");
  field("year").value = new Date().getFullYear() + (s ? 1 : 0);
  $("schedule-import").hidden = !s;  // a new schedule imports this year and next on saving
  $("schedule-dialog").showModal();
}

/** "08:00-12:00, 13:00-17:00" -> [["08:00", "12:00"], ["13:00", "17:00"]]. */
function intervals(text, where) {
  return text.split(/[,;]/).map((s) => s.trim()).filter(Boolean).map((part) => {
    const found = RANGE.exec(part);
    if (!found) throw new Error(t("schedules.bad_hours", { where, text: part }));
    return [found[1], found[2]];
  });
}

/** Lines of "date [hours] [note]" (exceptions) or "date name" (holidays). */
function dated(text, parse) {
  return text.split("\n").map((s) => s.trim()).filter(Boolean).map((line) => {
    const [day, ...rest] = line.split(/\s+/);
    if (!DATE.test(day)) throw new Error(t("schedules.bad_line", { line }));
    return parse(day, rest);
  });
}

function exception(day, words) {
  const hours = [];
  while (words.length && RANGE.test(words[0].replace(/,$/, ""))) {
    hours.push(...intervals(words.shift().replace(/,$/, ""), day));
  }
  return { date: day, hours, note: words.join(" ") };
}

function body() {
  const hours = {};
  for (const [day, label] of Object.entries(DAYS)) {
    const found = intervals(field(day).value, label);
    if (found.length) hours[day] = found;
  }
  const sent = { timezone: field("timezone").value.trim(), hours,
                 exceptions: dated(field("exceptions").value, exception) };
  if (editing) {
    sent.holidays = dated(field("holidays").value,
                          (day, words) => ({ date: day, name: words.join(" ") }));
  } else {
    sent.name = field("name").value.trim();
    if (field("country").value.trim()) {
      sent.holidays = field("country").value.trim();
      sent.holiday_language = lang;  // named as the page speaks, where the calendar has it
    }
  }
  return sent;
}

async function save(event) {
  event.preventDefault();
  $("schedule-error").textContent = "";
  try {
    const sent = body();
    const saved = editing
      ? await api("PATCH", `/schedules/${encodeURIComponent(editing.name)}`, sent)
      : await api("POST", "/schedules", sent);
    $("schedule-dialog").close();
    toast(t("schedules.saved", { name: saved.name }));
    applied(saved.name, saved);  // its frame follows with the same
  } catch (error) {
    $("schedule-error").textContent = error instanceof Error && !error.code
      ? error.message : errorText(error);
  }
}

async function importHolidays() {
  $("schedule-error").textContent = "";
  try {
    const saved = await api("POST", `/schedules/${encodeURIComponent(editing.name)}/holidays`,
                            { country: field("country").value.trim(),
                              year: Number(field("year").value), language: lang });
    editing = saved;
    field("holidays").value = saved.holidays.map((h) => `${h.date} ${h.name}`).join("\n");
    toast(t("schedules.imported", { count: saved.holidays.length, name: saved.name }));
    applied(saved.name, saved);
  } catch (error) {
    $("schedule-error").textContent = errorText(error);
  }
}

async function remove(event) {
  event.preventDefault();
  try {
    await api("DELETE", `/schedules/${encodeURIComponent(deleting.name)}`);
    $("schedule-confirm-dialog").close();
    toast(t("schedules.deleted", { name: deleting.name }));
    applied(deleting.name, null);
  } catch (error) {
    $("schedule-confirm-error").textContent = error?.code === "schedule_in_use"
      ? t("schedules.in_use", { name: deleting.name, queues: deleting.queues.join(", ") })
      : errorText(error);
  }
}
