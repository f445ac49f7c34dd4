// Signing in with an email and a password, on every page: the form, the "choose your
// password" step after a one-time password, signing out, and the form again after any 401.
// The session is an HttpOnly cookie the page never sees; only its CSRF token is kept, in
// memory (common.js `session`), so nothing that signs in lives in the browser's storage.

import { $, api, errorText, session, t } from "./common.js";
import { setupAccount } from "./account.js";

const SCREENS = ["login", "choose", "content"];
const MIN_PASSWORD = 10;  // domain/people.py MIN_PASSWORD_LENGTH: said here before a round trip

/** Show the form until a signed-in person may use this page (`check(me)` answers: a 403 means
 * the page is not theirs, and `notHere` says so), then `start(me, answer)`, once. */
export function signIn({ check, start, notHere }) {
  let started = false;
  let oneTime = null;  // the password just typed when it must change: not asked for twice

  const show = (screen, error = "") => {
    for (const id of SCREENS) $(id).hidden = id !== screen;
    $("logout").hidden = screen === "login";
    $("account").hidden = screen !== "content";
    if (screen === "login") {
      $("login-error").textContent = error;
      $("login-email").focus();
    }
  };

  const enter = async (me) => {
    session.csrf = me.csrf_token;
    if (me.password_change_required) {
      $("choose-current-field").hidden = oneTime !== null;
      $("choose-form").reset();
      show("choose");
      $("choose-new").focus();
      return;
    }
    let answer;
    try {
      answer = await check(me);
    } catch (error) {
      if (error.status === 403) { show("login", notHere); $("logout").hidden = false; return; }
      throw error;
    }
    if (started) { location.reload(); return; }  // signed in again after a 401: start afresh
    started = true;
    show("content");
    setupAccount(me);
    start(me, answer);
  };

  session.onSignedOut = () => {
    if (!$("login").hidden) return;
    session.csrf = null;
    show("login", started ? t("login.ended") : "");
  };

  $("login-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const email = $("login-email").value.trim();
    const password = $("login-password").value;
    if (!email || !password) { $("login-error").textContent = t("login.missing"); return; }
    $("login-error").textContent = "";
    try {
      const me = await api("POST", "/auth/login", { email, password }, {}, { quiet401: true });
      $("login-password").value = "";
      oneTime = me.password_change_required ? password : null;
      await enter(me);
    } catch (error) {
      $("login-error").textContent = signInError(error);
    }
  });

  $("choose-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const fresh = $("choose-new").value;
    const problem = newPasswordProblem(fresh, $("choose-again").value);
    $("choose-error").textContent = problem;
    if (problem) return;
    try {
      await api("POST", "/me/password",
                { current_password: oneTime ?? $("choose-current").value, new_password: fresh },
                {}, { quiet401: true });
      oneTime = null;
      await enter(await api("GET", "/me"));
    } catch (error) {
      $("choose-error").textContent = passwordError(error);
    }
  });

  $("logout").addEventListener("click", async () => {
    try {
      await api("POST", "/auth/logout", undefined, {}, { quiet401: true });
    } catch {
      // Signed out already, or the server is away: the form comes back all the same.
    }
    location.reload();
  });

  // Signed in already (the cookie is HttpOnly: only the server can tell)? A 401 shows the
  // form, and the browser's console notes it, as it notes every refused request.
  api("GET", "/me").then(enter).catch((error) => {
    if (error.status !== 401) show("login", errorText(error));
  });
}

function signInError(error) {
  if (error.status === 401) return t("login.wrong");
  if (error.status === 429) {
    const minutes = Math.max(1, Math.ceil((error.retryAfter ?? 60) / 60));
    return t("login.too_many", { minutes });
  }
  return errorText(error);
}

/** What is wrong with a new password that the page can tell without the server. */
export function newPasswordProblem(fresh, again) {
  if (fresh.length < MIN_PASSWORD) return t("password.too_short", { min: MIN_PASSWORD });
  if (fresh !== again) return t("password.mismatch");
  return "";
}

// The server's reasons (domain/people.py password_problem), in the page's language.
const REASONS = [
  [/at least/, () => t("password.too_short", { min: MIN_PASSWORD })],
  [/too common/, () => t("password.too_common")],
  [/email or name/, () => t("password.own")],
  [/different from/, () => t("password.same")],
];

export function passwordError(error) {
  if (error.status === 401) return t("password.current_wrong");
  const found = REASONS.find(([pattern]) => pattern.test(error.message ?? ""));
  return found ? found[1]() : errorText(error);
}
