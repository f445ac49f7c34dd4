// The console's views, each at its own URL: /admin/floor (and /admin), /admin/tickets,
// /admin/people, /admin/queues, /admin/reports, /admin/audit. One page holds them all and
// shows the one the URL names; a link between them changes the URL (history.pushState)
// without reloading, so the live stream and what the page knows carry over, and back and
// forward move between views as between pages. A view's own state (a ticket list's filters)
// lives in the query string, so a link to it opens it as it was.

import { t } from "./common.js";

const TITLE = {
  floor: t("nav.floor"), tickets: t("nav.tickets"), conversations: t("nav.conversations"),
  people: t("nav.people"),
  queues: t("nav.queues"), reports: t("nav.reports"), audit: t("nav.audit"),
};
let current = null;
let shown = () => {};

/** `onShow(view, params, how)`: a view was shown ("load", "link" or "history"). */
export function setupViews(onShow) {
  shown = onShow;
  document.addEventListener("click", (event) => {
    const a = event.target.closest("a[href]");
    if (!a || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey
        || event.shiftKey || event.altKey || a.target) return;
    const url = new URL(a.href, location.href);
    if (url.origin !== location.origin || !viewOf(url.pathname)) return;  // e.g. What if
    event.preventDefault();
    go(url);
  });
  window.addEventListener("popstate", () => show(location, "history"));
  show(location, "load");
}

/** Open a view (a URL, or a path with its query) as a link would. */
export function go(url) {
  const to = new URL(url, location.href);
  if (to.href !== location.href) history.pushState(null, "", to);
  show(to, "link");
}

/** The current view's own state changed (a filter): the URL says it, without a new entry in
 * the history for every keystroke. */
export function keepParams(params) {
  const open = new URLSearchParams(location.search).get("ticket");  // the ticket's page stays
  if (open) params.set("ticket", open);
  const search = params.toString();
  const url = `${location.pathname}${search ? `?${search}` : ""}`;
  if (url !== `${location.pathname}${location.search}`) history.replaceState(null, "", url);
}

function viewOf(path) {
  const found = /^\/admin(?:\/([a-z-]+))?\/?$/.exec(path);
  if (!found) return null;
  const view = found[1] ?? "floor";
  return view in TITLE ? view : null;
}

function show(url, how) {
  const view = viewOf(url.pathname) ?? "floor";
  const moved = view !== current;
  current = view;
  for (const el of document.querySelectorAll(".view")) el.hidden = el.dataset.view !== view;
  for (const a of document.querySelectorAll("[data-view-link]")) {
    if (a.dataset.viewLink === view) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  document.title = `${TITLE[view]} · ${t("admin.page_title")} · giliran`;
  shown(view, new URLSearchParams(url.search), how);
  if (moved && how !== "load") {
    // A new screen: start at its top, and say where the reader is (its first heading).
    window.scrollTo(0, 0);
    const heading = document.querySelector(`.view[data-view="${view}"] h2`);
    if (heading) {
      heading.tabIndex = -1;
      heading.focus({ preventScroll: true });
    }
  }
}
