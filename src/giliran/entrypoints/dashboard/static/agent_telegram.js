// The agent's Telegram section: whether the chat is linked, a one-time code to link it (asked
// for in the page's language, which the bot then speaks to an agent who chose none), and the
// agent's choices for its chat: the language of its notices, and whether it hears of tickets
// that leave its queue by someone else's hand.

import { $, api, errorText, t, toast } from "./common.js";

export function bindTelegram(act) {
  $("telegram-link").addEventListener("click", () => linkTelegram());
  $("notice-language").addEventListener("change", (event) =>
    act("PATCH", "/agent/me", { language: event.target.value }));
  $("telegram-left").addEventListener("change", (event) =>
    act("PATCH", "/agent/me", { telegram_ticket_left: event.target.checked }));
}

export function showTelegramChoices(me) {
  if (document.activeElement !== $("notice-language")) $("notice-language").value = me.language;
  $("telegram-left").checked = me.telegram_ticket_left;
}

/** The Telegram section, when the server has a bot: linked or not, and a one-time code. */
export async function showTelegram() {
  try {
    const state = await api("GET", "/agent/telegram");
    $("telegram").hidden = !state.enabled;
    $("telegram-linked").hidden = !state.linked;
    $("telegram-unlinked").hidden = state.linked;
  } catch (error) {
    toast(errorText(error), "error");
  }
}

async function linkTelegram() {
  try {
    // The page's language: the bot speaks it to an agent who has not chosen one.
    const code = await api("POST", "/agent/telegram-code",
                           { language: document.documentElement.lang });
    const until = new Date(code.expires_at).toLocaleTimeString(document.documentElement.lang,
                                                               { timeStyle: "short" });
    $("telegram-code").textContent = t("agent.telegram_code", { command: code.send_to_bot, until });
    $("telegram-code").hidden = false;
  } catch (error) {
    toast(errorText(error), "error");
  }
}
