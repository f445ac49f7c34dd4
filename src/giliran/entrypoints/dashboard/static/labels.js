// Translated names of the API's codes, built from literal keys so a test can check them all.

import { t } from "./common.js";

export const STATUS = {
  queued: t("status.queued"), assigned: t("status.assigned"),
  in_progress: t("status.in_progress"), completed: t("status.completed"),
  cancelled: t("status.cancelled"), on_hold: t("status.on_hold"),
};
export const PRESENCE = {
  online: t("presence.online"), offline: t("presence.offline"), away: t("presence.away"),
};
export const ROLE = {
  owner: t("role.owner"), admin: t("role.admin"), supervisor: t("role.supervisor"),
  agent: t("role.agent"), intake: t("role.intake"),
};
export const PRIORITY = {
  low: t("priority.low"), normal: t("priority.normal"), high: t("priority.high"),
  urgent: t("priority.urgent"),
};
/** A ticket's priority as asked, and what it is served at when aging (or a move to the front)
 * raised it: "Low, raised to High". */
export function priorityText(ticket) {
  const asked = PRIORITY[ticket.priority] ?? ticket.priority;
  const served = ticket.effective_priority;
  if (!served || served === ticket.priority) return asked;
  return t("priority.raised", { asked, served: PRIORITY[served] ?? served });
}
export const STRATEGY = {
  round_robin: t("strategy.round_robin"), least_loaded: t("strategy.least_loaded"),
  random: t("strategy.random"), rotation: t("strategy.rotation"),
};
export const CLAIM = { anyone: t("claim.anyone"), turn: t("claim.turn") };
export const SLOT = { complete: t("slot.complete"), accept: t("slot.accept") };
const SKIPPED = {
  missed: t("skip.missed"), inactive: t("skip.inactive"), offline: t("skip.offline"),
  manual: t("skip.manual"), paused: t("skip.paused"), full: t("skip.full"),
  queue_limit: t("skip.queue_limit"),
};
const BAND = { below: t("band.below"), within: t("band.within"), above: t("band.above") };
export const bandName = (band) => BAND[band] ?? "";
export const FLAG = {
  exhausted: t("flag.exhausted"), waiting_too_long: t("flag.waiting_too_long"),
  unreachable: t("flag.unreachable"),
};
const FLAG_REASON = {
  no_members: t("flag.no_members"), nobody_receives: t("flag.nobody_receives"),
};
/** A ticket's flag in words, with its reason where the flag alone does not say. */
export function flagText(ticket) {
  const flag = FLAG[ticket.flag] ?? ticket.flag;
  const reason = FLAG_REASON[ticket.flag_reason];
  return reason ? `${flag}: ${reason}` : flag;
}
export const REASON = {
  auto: t("reason.auto"), refill: t("reason.refill"), accepted: t("reason.accepted"),
  replied: t("reason.replied"),
  completed: t("reason.completed"), cancelled: t("reason.cancelled"),
  created: t("reason.created"), agent_deactivated: t("reason.agent_deactivated"),
  escalation: t("reason.escalation"), reply_timeout: t("reason.reply_timeout"),
  agent_offline: t("reason.agent_offline"),
  exhausted: t("reason.exhausted"), waiting_too_long: t("reason.waiting_too_long"),
  aging: t("reason.aging"), priority: t("reason.priority"), front: t("reason.front"),
  pickup: t("reason.pickup"), reassigned: t("reason.reassigned"), forced: t("reason.forced"),
  unassigned: t("reason.unassigned"), orphaned: t("reason.orphaned"),
  unreachable: t("reason.unreachable"), reachable: t("reason.reachable"),
  pickup_off: t("reason.pickup_off"), transferred: t("reason.transferred"),
  held: t("reason.held"), unheld: t("reason.unheld"), customer_wrote: t("reason.customer_wrote"),
  hold_expired: t("reason.hold_expired"),
  flag_cleared: t("reason.flag_cleared"), moved: t("reason.moved"),
};
const EVENT = {
  created: t("event.created"), assigned: t("event.assigned"), accepted: t("event.accepted"),
  completed: t("event.completed"), cancelled: t("event.cancelled"),
  escalated: t("event.escalated"), unassigned: t("event.unassigned"),
  flagged: t("event.flagged"), "moved to front": t("event.front"),
  released: t("event.released"), transferred: t("event.transferred"),
  held: t("event.held"), unheld: t("event.unheld"), hold_returned: t("event.hold_returned"),
  hold_expired: t("event.hold_expired"), moved: t("event.moved"),
};

export function eventName(event) {
  if (event.startsWith("priority_")) {
    const level = event.slice("priority_".length);
    return t("event.priority", { priority: PRIORITY[level] ?? level });
  }
  return EVENT[event] ?? event;
}

/** Why an assignment went where it did, in the page's language, from the history's `detail`
 * (the API's `note` says the same in English). `nameOf(id, fallback)` names an agent. */
export function why(detail, nameOf) {
  if (!detail || !detail.strategy) return "";
  const name = (id, fallback) => nameOf(id, fallback);
  const load = (pair) => `${pair[0]}/${pair[1]}`;
  let head;
  if (detail.strategy === "rotation") {
    const after = detail.after ? name(detail.after, detail.after_name) : null;
    if (detail.set_by_hand) head = detail.claim ? t("why.claim_set") : t("why.rotation_set");
    else if (detail.claim) head = after ? t("why.claim_after", { name: after }) : t("why.claim_first");
    else head = after ? t("why.rotation_after", { name: after }) : t("why.rotation_first");
  } else if (detail.strategy === "least_loaded") {
    const others = (detail.others ?? []).map((o) => load(o.load)).join(", ");
    head = others ? t("why.least_loaded", { load: load(detail.load), others })
                  : t("why.least_loaded_alone", { load: load(detail.load) });
  } else if (detail.strategy === "random") {
    head = t("why.random", { among: detail.among });
  } else {
    head = detail.never ? t("why.round_robin_never") : t("why.round_robin_longest");
  }
  const skips = (detail.skipped ?? []).map((s) =>
    t("why.skipped", { name: name(s.agent_id, s.name), reason: SKIPPED[s.why] ?? s.why }));
  return [head, ...skips].join("; ");
}

/** Who made a change and how they came, from a history or audit entry's `by` ("Sari
 * (session)", "ci-bot token (Dewi)", "admin token", "giliran"); `agentName(id)` names an agent
 * whose line was written before names were kept (its name is then its key). */
export function byText(entry, agentName) {
  const by = entry.by;
  const agent = entry.actor.startsWith("agent:") ? entry.actor.slice(6) : null;
  const name = by && by.name !== entry.actor ? by.name
    : (agent && agentName(agent)) || entry.actor;
  if (!by) return name;
  switch (by.via) {
    case "session": return t("by.session", { name });
    case "token": return t("by.token", { token: by.token ?? "", name });
    case "agent_token": return t("by.agent_token", { name });
    case "admin_token": return t("by.admin_token");
    case "intake_token": return t("by.intake_token");
    case "cli": return t("by.cli");
    case "system": return t("by.system");
    case "channel": return agent ? t("by.chat", { name }) : t("by.channel", { name });
    default: return name;
  }
}

/** A channel's name as its owner writes it (the API says "whatsapp"). */
export const CHANNEL = { whatsapp: "WhatsApp", telegram: "Telegram" };
