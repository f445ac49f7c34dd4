// What both dashboards share: texts, times, the API with the session, the event stream, toasts.

const catalogue = JSON.parse(document.getElementById("i18n").textContent);
export const lang = document.documentElement.lang || "en";
export const $ = (id) => document.getElementById(id);

/** The text for `key` in the page's language, with `{name}` placeholders filled and each
 * counted noun, "{count|ticket|tickets}", in the form its number takes (the first for exactly
 * 1; Indonesian texts need none). The server's i18n.py reads the catalogues alike. */
const COUNTED = /\{(\w+)\|([^|{}]*)\|([^|{}]*)\}/g;

export function t(key, values = {}) {
  let text = (catalogue[key] ?? key).replace(
    COUNTED, (_, name, one, other) => (Number(values[name]) === 1 ? one : other));
  for (const [name, value] of Object.entries(values)) {
    text = text.replaceAll(`{${name}}`, String(value));
  }
  return text;
}

/** The server's clock as seen from here: countdowns must not depend on the browser's. */
export const clock = {
  offset: 0,
  sync(serverTime) { this.offset = Date.parse(serverTime) - Date.now(); },
  now() { return Date.now() + this.offset; },
};

const relative = new Intl.RelativeTimeFormat(lang, { numeric: "auto" });
const UNITS = [["day", 86400], ["hour", 3600], ["minute", 60], ["second", 1]];

/** "5 minutes ago" / "5 menit yang lalu". */
export function ago(iso, now = clock.now()) {
  const seconds = Math.round((Date.parse(iso) - now) / 1000);
  const [unit, size] = UNITS.find(([, s]) => Math.abs(seconds) >= s) ?? UNITS[3];
  return relative.format(Math.trunc(seconds / size) || 0, unit);
}

/** 75 -> "1:15"; 3700 -> "1:01:40". */
export function clockText(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const two = (n) => String(n).padStart(2, "0");
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
  return h ? `${h}:${two(m)}:${two(s % 60)}` : `${m}:${two(s % 60)}`;
}

export function dateTime(iso) {
  return new Date(iso).toLocaleString(lang, { dateStyle: "short", timeStyle: "medium" });
}

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** The signed-in session as the page knows it: the cookie itself is HttpOnly, out of any
 * script's reach; only its CSRF token, which every change sends back, lives here (in memory,
 * never in storage). `onSignedOut` (signin.js) shows the form again after any 401. */
export const session = { csrf: null, onSignedOut: null };
const SAFE = new Set(["GET", "HEAD"]);

/** A call to the API with the session cookie. A 401 means the session ended (signed out
 * elsewhere, expired, deactivated): the sign-in form comes back, unless `quiet401` (a wrong
 * current password is a 401 too, and no reason to sign out). */
export async function api(method, path, body, extraHeaders = {}, { quiet401 = false } = {}) {
  const headers = { ...extraHeaders };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (!SAFE.has(method) && session.csrf) headers["X-CSRF-Token"] = session.csrf;
  let response;
  try {
    response = await fetch(`/api/v1${path}`, {
      method, headers, credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (exc) {
    throw new ApiError(0, "network", String(exc));
  }
  if (response.status === 204) return null;
  if (!response.ok) throw await refusal(response, quiet401);
  return response.json().catch(() => null);
}

/** A form with a file (a photo for the customer) sent with the session like any call; the
 * browser writes the multipart body and its boundary itself. */
export async function apiForm(method, path, form, extraHeaders = {}) {
  const headers = { ...extraHeaders };
  if (session.csrf) headers["X-CSRF-Token"] = session.csrf;
  let response;
  try {
    response = await fetch(`/api/v1${path}`, { method, headers, credentials: "same-origin", body: form });
  } catch (exc) {
    throw new ApiError(0, "network", String(exc));
  }
  if (!response.ok) throw await refusal(response, false);
  return response.json().catch(() => null);
}

/** A file from the API (a photo, a CSV), read with the session like any call. */
export async function apiFile(path) {
  let response;
  try {
    response = await fetch(`/api/v1${path}`, { credentials: "same-origin" });
  } catch (exc) {
    throw new ApiError(0, "network", String(exc));
  }
  if (!response.ok) throw await refusal(response, false);
  return response;
}

async function refusal(response, quiet401) {
  const data = await response.json().catch(() => null);
  const error = data?.error ?? {};
  const failed = new ApiError(response.status, error.code ?? `http_${response.status}`,
                              error.message ?? response.statusText);
  failed.retryAfter = Number(response.headers.get("Retry-After")) || null;
  if (response.status === 401 && !quiet401) session.onSignedOut?.();
  return failed;
}

/** A readable sentence for an API error; the server's own words for the rest. */
export function errorText(error) {
  const known = {
    network: t("error.network"),
    unauthorized: t("error.unauthorized"),
    forbidden: t("error.forbidden"),
    password_change_required: t("error.password_change_required"),
    csrf_failed: t("error.csrf_failed"),
    too_many_requests: t("error.too_many_requests"),
    email_taken: t("error.email_taken"),
    last_owner: t("error.last_owner"),
    not_a_member: t("error.not_a_member"),
    capacity_exceeded: t("error.capacity_exceeded"),
    assignment_revoked: t("error.assignment_revoked"),
    invalid_transition: t("error.invalid_transition"),
    not_accepted: t("error.not_accepted"),
    not_your_ticket: t("error.not_your_ticket"),
    outside_customer_window: t("error.outside_customer_window"),
    no_channel: t("error.no_channel"),
    not_configured: t("error.not_configured"),
    media_too_large: t("error.media_too_large"),
    channel_unavailable: t("error.channel_unavailable"),
    not_your_turn: t("error.not_your_turn"),
    pickup_disabled: t("error.pickup_disabled"),
    paused_in_queue: t("error.paused_in_queue"),
    auto_assign_locked: t("error.auto_assign_locked"),
    agent_full: t("error.agent_full"),
  };
  return known[error?.code] ?? t("error.generic", { message: error?.message ?? String(error) });
}

export function debounce(fn, ms) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

/** Runs `fn` (async) one at a time: a call while a run is pending asks for exactly one more
 * run after it, so a burst of events never piles up requests the server must answer. */
export function oneAtATime(fn) {
  let running = null;
  let again = false;
  const run = async () => {
    if (running) { again = true; return running; }
    running = (async () => {
      try {
        do { again = false; await fn(); } while (again);
      } finally { running = null; }
    })();
    return running;
  };
  return run;
}

/** Runs `fn` at most once per `ms`: the first call at once, calls within the next `ms` folded
 * into one run at its end. */
export function atMostEvery(fn, ms) {
  let last = 0;
  let timer = null;
  return () => {
    if (timer) return;
    const wait = Math.max(0, last + ms - Date.now());
    timer = setTimeout(() => { timer = null; last = Date.now(); fn(); }, wait);
  };
}

/** A quiet button that says what it does (`label`) and which action on which thing it is:
 * the pages' click handlers find it by `data-action` and `data-id`. */
export function actionButton(text, label, action, id) {
  const b = document.createElement("button");
  Object.assign(b, { type: "button", className: "quiet", textContent: text });
  b.setAttribute("aria-label", label);
  b.dataset.action = action;
  b.dataset.id = id;
  return b;
}

export function toast(message, kind = "info") {
  const item = document.createElement("p");
  item.className = `toast ${kind}`;
  item.textContent = message;
  $("toasts").append(item);
  setTimeout(() => item.remove(), 8000);
}

// Frames without an id: what the REST endpoints would answer now, worked out by the server once
// per batch of events (entrypoints/api/live_views.py), so a page never re-reads after an event.
const VIEWS = new Set(["desk", "floor", "tickets"]);

/**
 * The event stream: resumes after a drop from the last event seen (`since`). `onReady` runs on every (re)connect: the page re-reads then, and only then;
 * `onEvent` gets each event, `onView` each view.
 */
export class Stream {
  constructor({ onEvent, onReady, onRejected, onView }) {
    Object.assign(this, { onEvent, onReady, onRejected, onView });
    this.lastId = null;
    this.retries = 0;
    this.stopped = false;
  }

  start() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const ws = this.ws = new WebSocket(`${scheme}://${location.host}/api/v1/ws`);
    showLive("connecting");
    ws.onopen = () => {
      // The socket carries the session cookie; the CSRF token shows this page opened it.
      const auth = { type: "auth", csrf_token: session.csrf };
      if (this.lastId !== null) auth.since = this.lastId;
      ws.send(JSON.stringify(auth));
      this.pinger = setInterval(() => ws.send(JSON.stringify({ type: "ping" })), 25000);
    };
    ws.onmessage = (frame) => this.receive(JSON.parse(frame.data));
    ws.onclose = (event) => {
      clearInterval(this.pinger);
      if (this.stopped) return;
      if (event.code === 4401) { (this.onRejected ?? session.onSignedOut)?.(); return; }
      showLive("reconnecting");
      const delay = Math.min(10000, 500 * 2 ** this.retries++);
      this.timer = setTimeout(() => this.start(), delay);
    };
  }

  receive(message) {
    if (message.type === "hello") {
      this.retries = 0;
      showLive("live");
      if (!message.resumed) this.lastId = message.last_event_id;
      this.onReady();  // anything may have changed while no socket was open
    } else if (message.type === "snapshot") {
      this.lastId = message.last_event_id;
    } else if (typeof message.id === "number") {
      this.lastId = message.id;
      this.onEvent(message);
    } else if (VIEWS.has(message.type)) {
      this.onView?.(message);
    }
  }

  /** Send a message on the open socket (an admin's `watch`); dropped while reconnecting. */
  send(message) {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(message));
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    this.ws?.close();
  }
}

function showLive(state) {
  const live = $("live");
  live.hidden = false;
  live.dataset.state = state;
  live.textContent = { connecting: t("live.connecting"), live: t("live.live"),
                       reconnecting: t("live.reconnecting") }[state];
}

$("lang-select").addEventListener("change", (event) => {
  document.cookie = `giliran_lang=${event.target.value}; path=/; max-age=31536000; samesite=lax`;
  location.reload();
});

/** Every cell of a `table.stack` carries its column's header (as `data-label`), for the
 * card layout phones get: kept up to date however a table is redrawn. */
function labelCells() {
  for (const table of document.querySelectorAll("table.stack")) {
    const heads = [...table.tHead.rows[0].cells].map((th) => th.textContent.trim());
    for (const tbody of table.tBodies) {
      for (const tr of tbody.rows) {
        [...tr.cells].forEach((td, i) => {
          if (td.dataset.label === undefined) td.dataset.label = heads[i] ?? "";
        });
      }
    }
  }
}
new MutationObserver(labelCells).observe(document.body, { childList: true, subtree: true });
