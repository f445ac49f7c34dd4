// The open conversation's moves, in its header: accept, complete, put on hold and take off
// it, transfer (to a colleague, to another queue, or back to its own), Back on a phone and the
// info panel. Each answer is the moved ticket, shown at once; the stream confirms it.

import { $, api, errorText, t, toast } from "./common.js";
import { PRESENCE } from "./labels.js";

export class ThreadActions {
  /** `moved(ticket)`: the page shows a ticket an action returned. */
  constructor({ conversation, features, me, moved, back }) {
    Object.assign(this, { conversation, me, moved, back });
    this.root = conversation.root;
    this.canHold = features.has("POST /tickets/{ticket_id}/hold");
    this.canUnhold = features.has("DELETE /tickets/{ticket_id}/hold");
    this.canTransfer = features.has("POST /tickets/{ticket_id}/transfer");
    this.bind();
  }

  button(name) {
    return this.root.querySelector(`.conversation-head [data-action="${name}"]`);
  }

  /** The moves that fit the ticket as it is now, for its holder. */
  shown(ticket) {
    const mine = ticket.assigned_agent_id === this.me().id;
    const status = ticket.status;
    this.button("accept").hidden = !mine || status !== "assigned";
    this.button("complete").hidden = !mine || status !== "in_progress";
    this.button("hold").hidden = !this.canHold || !mine || !["assigned", "in_progress"].includes(status);
    this.button("unhold").hidden = !this.canUnhold || !mine || status !== "on_hold";
    this.button("transfer").hidden = !this.canTransfer || !mine
      || !["assigned", "in_progress", "on_hold"].includes(status);
  }

  async act(method, path, body) {
    try {
      const ticket = await api(method, path, body);
      if (ticket?.id) this.moved(ticket);
      return ticket;
    } catch (error) {
      toast(errorText(error), "error");
      return null;
    }
  }

  accept() {
    const id = this.conversation.ticketId;
    if (id !== null && !this.button("accept").hidden) this.act("POST", `/tickets/${id}/accept`);
  }

  complete() {
    const id = this.conversation.ticketId;
    if (id !== null && !this.button("complete").hidden) this.act("POST", `/tickets/${id}/complete`);
  }

  bind() {
    const on = (name, fn) => this.button(name).addEventListener("click", fn);
    on("accept", () => this.accept());
    on("complete", () => this.complete());
    on("hold", async () => {
      const ticket = await this.act("POST", `/tickets/${this.conversation.ticketId}/hold`, {});
      if (ticket) toast(t("inbox.held", { number: ticket.number }));
    });
    on("unhold", () => this.act("DELETE", `/tickets/${this.conversation.ticketId}/hold`));
    on("transfer", () => this.openTransfer());
    on("close", () => this.conversation.close());
    on("back", () => this.back());
    on("info", () => {
      const open = this.root.classList.toggle("info-open");
      this.button("info").setAttribute("aria-expanded", String(open));
    });
    const dialog = $("transfer-dialog");
    dialog.querySelector('[data-action="cancel"]').addEventListener("click", () => dialog.close());
    $("transfer-form").addEventListener("submit", (event) => {
      event.preventDefault();
      this.transfer();
    });
  }

  async openTransfer() {
    const queues = this.me().queues ?? [];
    $("transfer-queue").replaceChildren(...queues.map((name) => new Option(name, name)));
    $("transfer-agent").replaceChildren();
    this.colleagues();  // filled when the server answers; the dialog opens at once
    $("transfer-error").textContent = "";
    $("transfer-reason").value = "";
    $("transfer-dialog").showModal();
    $("transfer-reason").focus();
  }

  // Who may take it, by name: those who cannot now (full, at the queue's limit) are listed
  // but not choosable, with why, so nobody sends a transfer that would be refused.
  async colleagues() {
    const select = $("transfer-agent");
    let found = [];
    try {
      found = (await api("GET", `/tickets/${this.conversation.ticketId}/colleagues`)).items;
    } catch (error) {
      $("transfer-error").textContent = errorText(error);
      return;
    }
    const options = found.map((c) => {
      const label = t("inbox.colleague", {
        name: c.name, presence: PRESENCE[c.presence] ?? c.presence,
        load: `${c.active_tickets}/${c.max_tickets}`,
      });
      const option = new Option(c.available ? label : `${label} · ${t("inbox.colleague_full")}`,
                                String(c.agent_id));
      option.disabled = !c.available;
      if (!c.available) option.title = c.why_not ?? "";
      return option;
    });
    if (!options.some((o) => !o.disabled)) {
      options.unshift(new Option(t("inbox.no_colleague"), ""));
    }
    select.replaceChildren(...options);
    const first = options.find((o) => !o.disabled && o.value);
    if (first) select.value = first.value;
  }

  async transfer() {
    const to = $("transfer-form").querySelector('input[name="to"]:checked').value;
    const body = { reason: $("transfer-reason").value.trim() };
    if (!body.reason) { $("transfer-error").textContent = t("inbox.transfer_reason_needed"); return; }
    if (to === "agent") {
      if (!$("transfer-agent").value) { $("transfer-error").textContent = t("inbox.no_colleague"); return; }
      body.agent_id = Number($("transfer-agent").value);
    }
    if (to === "queue") body.queue = $("transfer-queue").value;
    try {
      const ticket = await api("POST", `/tickets/${this.conversation.ticketId}/transfer`, body);
      $("transfer-dialog").close();
      toast(t("inbox.transferred", { number: ticket.number }));
      this.moved(ticket);
      this.back();  // no longer this agent's to answer
    } catch (error) {
      $("transfer-error").textContent = errorText(error);
    }
  }
}
