// Translated names of the API's codes, built from literal keys so a test can check them all.

import { t } from "./common.js";

export const STATUS = {
  queued: t("status.queued"), assigned: t("status.assigned"),
  in_progress: t("status.in_progress"), completed: t("status.completed"),
  cancelled: t("status.cancelled"),
};
export const PRESENCE = {
  online: t("presence.online"), offline: t("presence.offline"), away: t("presence.away"),
};
export const PRIORITY = {
  low: t("priority.low"), normal: t("priority.normal"), high: t("priority.high"),
  urgent: t("priority.urgent"),
};
export const STRATEGY = {
  round_robin: t("strategy.round_robin"), least_loaded: t("strategy.least_loaded"),
  random: t("strategy.random"),
};
export const FLAG = { exhausted: t("flag.exhausted"), waiting_too_long: t("flag.waiting_too_long") };
export const REASON = {
  auto: t("reason.auto"), refill: t("reason.refill"), accepted: t("reason.accepted"),
  replied: t("reason.replied"),
  completed: t("reason.completed"), cancelled: t("reason.cancelled"),
  created: t("reason.created"), agent_deactivated: t("reason.agent_deactivated"),
  escalation: t("reason.escalation"), agent_offline: t("reason.agent_offline"),
  exhausted: t("reason.exhausted"), waiting_too_long: t("reason.waiting_too_long"),
  aging: t("reason.aging"), priority: t("reason.priority"), front: t("reason.front"),
  pickup: t("reason.pickup"), reassigned: t("reason.reassigned"), forced: t("reason.forced"),
  unassigned: t("reason.unassigned"), orphaned: t("reason.orphaned"),
};
const EVENT = {
  created: t("event.created"), assigned: t("event.assigned"), accepted: t("event.accepted"),
  completed: t("event.completed"), cancelled: t("event.cancelled"),
  escalated: t("event.escalated"), unassigned: t("event.unassigned"),
  flagged: t("event.flagged"), "moved to front": t("event.front"),
};

export function eventName(event) {
  if (event.startsWith("priority_")) {
    const level = event.slice("priority_".length);
    return t("event.priority", { priority: PRIORITY[level] ?? level });
  }
  return EVENT[event] ?? event;
}
