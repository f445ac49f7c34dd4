// The inbox's composer, around the conversation's reply box: "/" opens the saved answers for
// this ticket (filtered as one types, Enter inserts), a file goes with the reply (picked,
// dropped on the thread or pasted), a note stays on the desk, and a failed reply offers its
// way out (retry, or the template when the window closed). What the server does not offer yet
// is not shown.

import { apiForm, api, errorText, t } from "./common.js";

const field = (root, name) => root.querySelector(`[data-field="${name}"]`);

export class Composer {
  constructor(conversation, features) {
    this.c = conversation;
    this.root = conversation.root;
    this.text = conversation.text;
    this.has = (key) => features.has(key);
    this.canNote = this.has("POST /tickets/{ticket_id}/notes");
    this.canAttach = this.has("multipart /tickets/{ticket_id}/messages");
    this.canCanned = this.has("GET /tickets/{ticket_id}/canned-replies");
    this.canRetry = this.has("POST /tickets/{ticket_id}/messages/{message_id}/retry");
    this.file = null;
    this.canned = null;  // the ticket's saved answers, read at the first "/"
    this.choice = 0;
    this.menu = field(this.root, "canned");
    this.noteToggle = field(this.root, "note-toggle");
    field(this.root, "note-choice").hidden = !this.canNote;
    field(this.root, "attach").hidden = !this.canAttach;
    this.bind();
  }

  /** Anything a reader may write: a note when the customer cannot be answered. */
  keepsComposer() {
    return this.canNote && !this.c.readOnly;
  }

  /** A conversation opened or changed: the composer fits what can be sent now. */
  shown(ticket) {
    if (ticket.id !== this.ticketId) {
      this.ticketId = ticket.id;
      this.canned = null;
      this.clearFile();
      this.closeMenu();
    }
    const noteOnly = !this.c.canReply;
    if (noteOnly && this.canNote) this.noteToggle.checked = true;
    this.noteToggle.disabled = noteOnly;
    field(this.root, "attach").hidden = !this.canAttach || noteOnly;
    this.showMode();
  }

  showMode() {
    const note = this.noteToggle.checked;
    this.root.querySelector(".composer").classList.toggle("note-mode", note);
    field(this.root, "reply-label").textContent = note ? t("inbox.note_label") : t("conversation.reply_label");
    field(this.root, "send").textContent = note ? t("inbox.note_send") : t("conversation.send");
    this.text.placeholder = note ? t("inbox.note_placeholder") : t("inbox.reply_placeholder");
  }

  bind() {
    this.noteToggle.addEventListener("change", () => this.showMode());
    this.text.addEventListener("input", () => this.typed());
    this.text.addEventListener("keydown", (event) => this.menuKey(event));
    this.menu.addEventListener("mousedown", (event) => {
      const li = event.target.closest("li[data-index]");
      if (li) { event.preventDefault(); this.insert(Number(li.dataset.index)); }
    });
    field(this.root, "file").addEventListener("change", (event) => {
      if (event.target.files[0]) this.attach(event.target.files[0]);
      event.target.value = "";
    });
    this.root.querySelector('[data-action="unattach"]').addEventListener("click", () => this.clearFile());
    this.text.addEventListener("paste", (event) => {
      const file = [...(event.clipboardData?.files ?? [])][0];
      if (file && this.canAttach) { event.preventDefault(); this.attach(file); }
    });
    const body = this.root.querySelector(".conversation-main");
    body.addEventListener("dragover", (event) => {
      if (this.canAttach && !this.c.form.hidden) { event.preventDefault(); body.classList.add("dropping"); }
    });
    body.addEventListener("dragleave", () => body.classList.remove("dropping"));
    body.addEventListener("drop", (event) => {
      body.classList.remove("dropping");
      const file = event.dataTransfer?.files?.[0];
      if (file && this.canAttach) { event.preventDefault(); this.attach(file); }
    });
  }

  attach(file) {
    this.file = file;
    field(this.root, "attachment-name").textContent = t("inbox.attached", {
      name: file.name || t("conversation.photo"), size: Math.max(1, Math.round(file.size / 1024)) });
    field(this.root, "attachment").hidden = false;
    this.noteToggle.checked = false;
    this.showMode();
    this.text.focus();
  }

  clearFile() {
    this.file = null;
    field(this.root, "attachment").hidden = true;
  }

  /** Send what the composer holds: a note, a file with its caption, or the text. */
  async submit() {
    if (!this.menu.hidden) return;
    const error = field(this.root, "reply-error");
    error.textContent = "";
    const text = this.text.value.trim();
    const id = this.c.ticketId;
    try {
      if (this.noteToggle.checked && this.canNote) {
        if (!text) return;
        this.c.take(await api("POST", `/tickets/${id}/notes`, { text }));
      } else if (this.file) {
        const form = new FormData();
        form.append("file", this.file, this.file.name || "photo.png");
        if (text) form.append("text", text);
        this.c.take(await apiForm("POST", `/tickets/${id}/messages`, form,
                                  { "Idempotency-Key": crypto.randomUUID() }));
        this.clearFile();
      } else {
        if (!(await this.c.send())) return;
      }
      this.text.value = "";
    } catch (exc) {
      error.textContent = errorText(exc);
    }
  }

  // --- saved answers -------------------------------------------------------------------

  async typed() {
    const query = /^\/(\S*)$/.exec(this.text.value);
    if (!query || !this.canCanned) { this.closeMenu(); return; }
    try {
      this.canned ??= (await api("GET", `/tickets/${this.c.ticketId}/canned-replies`)).items;
    } catch (exc) {
      this.canned = [];
      field(this.root, "reply-error").textContent = errorText(exc);
    }
    const wanted = query[1].toLowerCase();
    this.matches = this.canned.filter((r) =>
      r.name.toLowerCase().includes(wanted) || r.text.toLowerCase().includes(wanted));
    this.choice = 0;
    this.drawMenu();
  }

  drawMenu() {
    if (!/^\/\S*$/.test(this.text.value)) { this.closeMenu(); return; }
    this.menu.replaceChildren(...this.matches.map((r, i) => {
      const li = document.createElement("li");
      li.setAttribute("role", "option");
      li.dataset.index = i;
      li.setAttribute("aria-selected", String(i === this.choice));
      const name = document.createElement("strong");
      name.textContent = r.name;
      const text = document.createElement("span");
      text.textContent = r.text;
      li.append(name, text);
      return li;
    }));
    if (!this.matches.length) {
      const li = document.createElement("li");
      li.className = "empty";
      li.textContent = t("inbox.canned_none");
      this.menu.append(li);
    }
    this.menu.hidden = false;
  }

  closeMenu() {
    this.menu.hidden = true;
    this.menu.replaceChildren();
  }

  menuKey(event) {
    if (this.menu.hidden) return;
    const moves = { ArrowDown: 1, ArrowUp: -1 };
    if (event.key in moves && this.matches.length) {
      event.preventDefault();
      this.choice = (this.choice + moves[event.key] + this.matches.length) % this.matches.length;
      this.drawMenu();
    } else if ((event.key === "Enter" || event.key === "Tab") && this.matches.length) {
      event.preventDefault();
      this.insert(this.choice);
    } else if (event.key === "Escape") {
      event.preventDefault();
      event.stopPropagation();
      this.closeMenu();
    }
  }

  insert(index) {
    const reply = this.matches[index];
    if (!reply) return;
    this.text.value = reply.text;
    this.closeMenu();
    this.text.focus();
    this.text.setSelectionRange(reply.text.length, reply.text.length);
  }

  // --- failed replies ------------------------------------------------------------------

  /** A failed reply's own ways out, beside its warning. */
  decorate(li, m) {
    const box = li.querySelector('[data-field="failed-actions"]');
    if (!box || this.c.readOnly) return;
    if (this.canRetry) box.append(button(t("inbox.retry"), async () => {
      this.c.take(await api("POST", `/tickets/${this.c.ticketId}/messages/${m.id}/retry`));
    }));
    if (this.c.template) box.append(button(t("conversation.send_template"), () => this.c.send({ template: true })));
  }
}

function button(text, act) {
  const b = document.createElement("button");
  b.type = "button";
  b.className = "quiet small";
  b.textContent = text;
  b.addEventListener("click", async () => {
    b.disabled = true;
    try { await act(); } catch (exc) { b.title = errorText(exc); b.disabled = false; }
  });
  return b;
}
