// One menu for every row of a list (WAI-ARIA's menu button): the row keeps a single "Actions"
// button, and the menu is drawn for the row it is opened from. It lives outside the table, so
// the list can be redrawn by the stream while it is open: it follows its row's new button, or
// closes when the row left the list. Arrow keys, Home and End move, Escape and Tab close, and
// Escape gives the focus back to the row's button.

const ITEMS = '[role^="menuitem"]:not([disabled])';

export class RowMenu {
  /** `root`: the menu element (role=menu); `items(id)`: the row's items, as elements. */
  constructor(root, items) {
    this.root = root;
    this.items = items;
    this.id = null;
    this.button = null;
    root.addEventListener("keydown", (event) => this.key(event));
    // An item chosen: the menu closes and the keyboard is back on the row's button before the
    // item acts (a dialog it opens gives the focus back there when it closes).
    root.addEventListener("click", (event) => {
      if (event.target.closest(ITEMS)) this.close(true);
    });
    document.addEventListener("pointerdown", (event) => {
      if (this.id !== null && !root.contains(event.target) && event.target !== this.button
          && !this.button?.contains(event.target)) this.close(false);
    });
    window.addEventListener("resize", () => this.close(false));
    document.addEventListener("scroll", (event) => {
      if (this.id !== null && !root.contains(event.target)) this.place();
    }, true);
  }

  get open() { return this.id !== null; }

  /** The row's button was pressed: open its menu (the first item focused from the keyboard,
   * as from the mouse), or close it when it is open already. */
  toggle(button, focusLast = false) {
    if (this.id === button.dataset.id) { this.close(true); return; }
    this.id = button.dataset.id;
    this.anchor(button);
    this.root.replaceChildren(...this.items(this.id));
    this.root.hidden = false;
    this.place();
    const items = this.focusable();
    items[focusLast ? items.length - 1 : 0]?.focus();
  }

  anchor(button) {
    if (this.button && this.button !== button) this.button.setAttribute("aria-expanded", "false");
    this.button = button;
    button.setAttribute("aria-expanded", "true");
  }

  /** The list was redrawn: the menu stays with its row's new button, or closes. */
  follow(find) {
    if (this.id === null) return;
    const button = find(this.id);
    if (!button) { this.close(false); return; }
    this.anchor(button);
    this.place();
  }

  close(refocus) {
    if (this.id === null) return;
    this.id = null;
    this.root.hidden = true;
    this.button?.setAttribute("aria-expanded", "false");
    if (refocus) this.button?.focus();
  }

  /** Below its button, its right edge on the button's, within the window (above it when
   * there is no room below). */
  place() {
    if (!this.button) return;
    const at = this.button.getBoundingClientRect();
    const menu = this.root.getBoundingClientRect();
    const below = at.bottom + 4 + menu.height <= window.innerHeight;
    const top = below ? at.bottom + 4 : Math.max(4, at.top - 4 - menu.height);
    const left = Math.min(Math.max(4, at.right - menu.width), window.innerWidth - menu.width - 4);
    Object.assign(this.root.style, { top: `${top}px`, left: `${Math.max(4, left)}px` });
  }

  focusable() {
    return [...this.root.querySelectorAll(ITEMS)];
  }

  key(event) {
    const items = this.focusable();
    const at = items.indexOf(document.activeElement);
    const go = (index) => { event.preventDefault(); items[(index + items.length) % items.length]?.focus(); };
    if (event.key === "ArrowDown") go(at + 1);
    else if (event.key === "ArrowUp") go(at - 1);
    else if (event.key === "Home") go(0);
    else if (event.key === "End") go(items.length - 1);
    else if (event.key === "Escape") { event.preventDefault(); event.stopPropagation(); this.close(true); }
    else if (event.key === "Tab") this.close(true);
  }
}

/** The keys of a menu button itself (Enter and Space click it, which opens the menu at its
 * first item): Down opens at the first item, Up at the last. */
export function menuButtonKey(event, menu, button) {
  if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
  event.preventDefault();
  if (menu.id !== button.dataset.id) menu.toggle(button, event.key === "ArrowUp");
}
