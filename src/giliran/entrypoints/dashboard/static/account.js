// The signed-in person's own panel: their password, their language, and the browsers they are
// signed in on (signing the others out). Everyone has it, agents and supervisors alike.

import { $, ago, api, dateTime, errorText, t, toast } from "./common.js";
import { ROLE } from "./labels.js";
import { newPasswordProblem, passwordError } from "./signin.js";

let me = null;

export function setupAccount(signedIn) {
  me = signedIn;
  if (!me.user) { $("account").hidden = true; return; }
  $("account").addEventListener("click", openAccount);
  $("account-close").addEventListener("click", () => $("account-dialog").close());
  $("account-language-form").addEventListener("submit", saveLanguage);
  $("account-password-form").addEventListener("submit", changePassword);
  $("account-sessions").addEventListener("click", endSession);
}

function openAccount() {
  const { user } = me;
  $("account-who").textContent = t("account.who", {
    name: user.name, email: user.email ?? "—", role: ROLE[user.role] ?? user.role,
  });
  $("account-language").value = document.documentElement.lang;
  $("account-password-form").reset();
  $("account-password-error").textContent = "";
  $("account-dialog").showModal();
  showSessions();
}

/** Kept with the person (their notices follow it) and as this browser's page language. */
async function saveLanguage(event) {
  event.preventDefault();
  const language = $("account-language").value;
  try {
    await api("PATCH", "/me", { language });
    document.cookie = `giliran_lang=${language}; path=/; max-age=31536000; samesite=lax`;
    location.reload();
  } catch (error) {
    toast(errorText(error), "error");
  }
}

async function changePassword(event) {
  event.preventDefault();
  const fresh = $("account-new").value;
  const problem = newPasswordProblem(fresh, $("account-again").value);
  $("account-password-error").textContent = problem;
  if (problem) return;
  try {
    await api("POST", "/me/password",
              { current_password: $("account-current").value, new_password: fresh },
              {}, { quiet401: true });
    $("account-password-form").reset();
    toast(t("account.password_changed"));
    showSessions();  // the others were signed out
  } catch (error) {
    $("account-password-error").textContent = passwordError(error);
  }
}

const BROWSERS = /(Edg|OPR|Firefox|HeadlessChrome|Chrome|Safari)\/[\d.]+/;

async function showSessions() {
  $("account-sessions-error").textContent = "";
  try {
    const sessions = await api("GET", "/me/sessions");
    $("account-sessions").replaceChildren(...sessions.map(sessionItem));
  } catch (error) {
    $("account-sessions-error").textContent = errorText(error);
  }
}

function sessionItem(s) {
  const item = document.createElement("li");
  item.dataset.id = s.id;
  const browser = BROWSERS.exec(s.user_agent)?.[1] ?? (s.user_agent || "?");
  const text = document.createElement("span");
  text.textContent = t("account.session", { browser, address: s.address || "?",
                                            ago: ago(s.last_seen_at) });
  text.title = dateTime(s.created_at);
  item.append(text, " ");
  if (s.current) {
    const here = document.createElement("strong");
    here.textContent = t("account.this_browser");
    item.append(here);
  } else {
    const end = document.createElement("button");
    Object.assign(end, { type: "button", className: "quiet", textContent: t("account.end") });
    end.setAttribute("aria-label", t("account.end_label", { browser, address: s.address }));
    item.append(end);
  }
  return item;
}

async function endSession(event) {
  const button = event.target.closest("button");
  if (!button) return;
  try {
    await api("DELETE", `/me/sessions/${button.closest("li").dataset.id}`);
    showSessions();
  } catch (error) {
    $("account-sessions-error").textContent = errorText(error);
  }
}
