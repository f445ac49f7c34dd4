// The inbox's keys, for a shift at the keyboard: j/k move in the list, r goes to the reply,
// a accepts, e completes, "/" opens the saved answers, Esc leaves the conversation. Never
// while the agent types in a field, and never with a modifier (the browser's own keys stay).

const TYPING = new Set(["INPUT", "TEXTAREA", "SELECT"]);

export function bindKeys({ move, reply, accept, complete, canned, leave }) {
  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return;
    const target = event.target;
    if (document.querySelector("dialog[open]")) return;  // a dialog has the keys (Esc closes it)
    if (event.key === "Escape") {
      // In a field, Esc first leaves the field; a second one leaves the conversation.
      if (target instanceof HTMLElement && TYPING.has(target.tagName)) target.blur();
      else leave();
      return;
    }
    if (target instanceof HTMLElement && (TYPING.has(target.tagName) || target.isContentEditable)) return;
    const action = { j: () => move(1), k: () => move(-1), r: reply, a: accept, e: complete,
                     "/": canned }[event.key];
    if (!action) return;
    event.preventDefault();
    action();
  });
}
