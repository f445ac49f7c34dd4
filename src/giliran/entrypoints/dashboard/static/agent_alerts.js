// How the agent hears of work: a beep (once the agent turned sound on, which a click allows)
// and desktop notifications (asked for only when the agent clicks, never on load).

import { $, t } from "./common.js";

const SOUND_KEY = "giliran.sound";
let audio = null;

export function bindAlerts() {
  $("notify-toggle").addEventListener("click", askToNotify);
  showNotifyState();
  const sound = $("sound-toggle");
  sound.checked = localStorage.getItem(SOUND_KEY) === "on";
  sound.addEventListener("change", () => {
    localStorage.setItem(SOUND_KEY, sound.checked ? "on" : "off");
    if (sound.checked) beep();  // a user's click lets the page make sound from now on
  });
}

export function beep() {
  if (localStorage.getItem(SOUND_KEY) !== "on") return;
  audio ??= new AudioContext();
  audio.resume();
  const tone = audio.createOscillator();
  const gain = audio.createGain();
  tone.frequency.value = 880;
  gain.gain.setValueAtTime(0.15, audio.currentTime);
  gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.35);
  tone.connect(gain).connect(audio.destination);
  tone.start();
  tone.stop(audio.currentTime + 0.35);
}

async function askToNotify() {
  if (!("Notification" in window)) return showNotifyState();
  await Notification.requestPermission();
  showNotifyState();
}

function showNotifyState() {
  const supported = "Notification" in window;
  const state = supported ? Notification.permission : "unsupported";
  $("notify-toggle").hidden = state === "granted" || !supported;
  $("notify-state").textContent = {
    granted: t("agent.notify_on"), denied: t("agent.notify_denied"),
    unsupported: t("agent.notify_unsupported"),
  }[state] ?? "";
}

export function notify(ticket) {
  if (!("Notification" in window) || Notification.permission !== "granted") return;
  const note = new Notification(t("agent.toast_new", { number: ticket.number, title: ticket.title }),
                                { tag: `giliran-${ticket.id}` });
  note.addEventListener("click", () => { window.focus(); note.close(); });
}
