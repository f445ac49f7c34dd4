// A ticket's customer as one person across channels: the addresses the desk linked with
// theirs, their tickets on all of them ("Earlier tickets", each with its channel), and in the
// supervisors' console a small form linking another address (POST /customers/{key}/links).
// A link changes what people read, never where a ticket's replies go.

import { api, dateTime, errorText, t } from "./common.js";
import { CHANNEL, STATUS } from "./labels.js";

const field = (root, name) => root.querySelector(`[data-field="${name}"]`);
const channelName = (channel) => (channel ? CHANNEL[channel] ?? channel : t("inbox.channel_none"));
// The form's own words for its refusals (the address is not one a customer wrote from, or
// is not written as channel:address); others as everywhere.
const linkError = (exc) => ({
  unknown_address: () => t("person.unknown_address"),
  invalid_input: () => t("person.invalid_address"),
}[exc?.code]?.() ?? errorText(exc));

export class PersonPanel {
  /** `reload`: reads the ticket's customer again (after a link). */
  constructor(root, { supervisor = false, reload }) {
    this.root = root;
    this.reload = reload;
    this.customer = null;
    this.supervisor = supervisor;
    this.form = field(root, "link-form");
    this.form.hidden = !supervisor;
    this.form.addEventListener("submit", (event) => { event.preventDefault(); this.link(); });
  }

  show(customer) {
    this.customer = customer;
    const others = (customer.linked ?? []).filter((a) => a.key !== customer.key);
    field(this.root, "linked").replaceChildren(...others.map((a) => {
      const li = document.createElement("li");
      li.append(badge(a.channel), ` ${a.address} `);
      if (this.supervisor) li.append(this.unlinkButton(a));
      return li;
    }));
    field(this.root, "linked-box").hidden = others.length === 0;
    field(this.root, "earlier").replaceChildren(...customer.earlier_tickets.map((e) => {
      const li = document.createElement("li");
      li.append(badge(e.channel), ` ${e.number} · ${e.title} · ${STATUS[e.status] ?? e.status}`
        + ` · ${dateTime(e.created_at)}`);
      return li;
    }));
    field(this.root, "no-earlier").hidden = customer.earlier_tickets.length > 0;
  }

  unlinkButton(address) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "quiet small";
    button.textContent = t("person.unlink");
    button.setAttribute("aria-label", t("person.unlink_label", { address: address.address }));
    button.addEventListener("click", () => this.call("DELETE",
      `/customers/${encodeURIComponent(this.customer.key)}/links/${encodeURIComponent(address.key)}`));
    return button;
  }

  async link() {
    const input = this.form.elements.address;
    if (await this.call("POST", `/customers/${encodeURIComponent(this.customer.key)}/links`,
      { address: input.value.trim() })) input.value = "";
  }

  /** A change, then the customer read again; an error is shown under the form. */
  async call(method, path, body) {
    const error = field(this.root, "link-error");
    error.textContent = "";
    try {
      await api(method, path, body);
    } catch (exc) {
      error.textContent = linkError(exc);
      return false;
    }
    await this.reload();
    return true;
  }
}

function badge(channel) {
  const span = document.createElement("span");
  span.className = "badge";
  span.dataset.channel = channel ?? "";
  span.textContent = channelName(channel);
  return span;
}
