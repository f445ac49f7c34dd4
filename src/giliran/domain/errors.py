"""One error root with precise subclasses; each edge (HTTP, bots) maps them in one place."""

from __future__ import annotations


class GiliranError(Exception):
    """Root of every error the domain and service layers raise on purpose."""

    code = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(GiliranError):
    code = "not_found"


class UnknownChannel(NotFound):
    """A webhook for a chat channel this build of giliran does not have."""

    code = "unknown_channel"


class Forbidden(GiliranError):
    code = "forbidden"


class NotYourTicket(Forbidden):
    code = "not_your_ticket"


class NotYourQueue(Forbidden):
    """An agent acting on a ticket of a queue it does not serve."""

    code = "not_your_queue"


class Unauthorized(GiliranError):
    code = "unauthorized"


class PasswordChangeRequired(Forbidden):
    """Signed in with a password someone else chose (bootstrap, invite, reset)."""

    code = "password_change_required"


class CsrfRefused(Forbidden):
    """A write through a session cookie without the session's X-CSRF-Token."""

    code = "csrf_failed"


class SignatureMissing(Unauthorized):
    """A webhook delivery without the signature its sender always adds."""

    code = "signature_missing"


class BadSecret(Unauthorized):
    """A webhook call without the shared secret, or with a wrong one."""

    code = "bad_secret"


class BadSignature(Forbidden):
    """A webhook delivery whose signature does not match its body."""

    code = "bad_signature"


class TooManyRequests(GiliranError):
    """Too many failed authentications, or webhook calls, from one client address."""

    code = "too_many_requests"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Conflict(GiliranError):
    code = "conflict"


class InvalidTransition(Conflict):
    """The ticket's current state forbids the requested move (e.g. completing twice)."""

    code = "invalid_transition"


class NotAccepted(InvalidTransition):
    """Completing a ticket its holder never accepted: assigned -> in progress -> completed."""

    code = "not_accepted"


class AssignmentRevoked(Conflict):
    """A late move by an agent the ticket was taken back from (it now waits elsewhere)."""

    code = "assignment_revoked"


class NotAMember(Conflict):
    """A move to an agent who does not serve the ticket's queue (an admin may force it)."""

    code = "not_a_member"


class DuplicateExternalId(Conflict):
    code = "duplicate_external_id"


class ContactHasOpenTicket(Conflict):
    """A second open ticket for a customer who has one, refused by the store (a unique index on
    SQL). Receiving a message looks for the open ticket under the floor lock first, so only a
    writer without that lock can meet this."""

    code = "contact_has_open_ticket"


class CapacityExceeded(Conflict):
    code = "capacity_exceeded"


class AgentFull(CapacityExceeded):
    """The agent a ticket is handed to has no room for it (overall, or in the queue)."""

    code = "agent_full"


class DefaultQueueRequired(Conflict):
    """`default` takes every ticket that names no queue, and every channel message whose own
    queue is missing or off: switching it off would turn customers away."""

    code = "default_queue_required"


class QueueInactive(Conflict):
    """A new ticket for a queue that is switched off."""

    code = "queue_inactive"


class AgentInactive(Conflict):
    """A move to, or a turn for, an agent that is deactivated."""

    code = "agent_inactive"


class EmailTaken(Conflict):
    code = "email_taken"


class LastOwner(Conflict):
    """The last active owner cannot be demoted or deactivated."""

    code = "last_owner"


class SlaPolicyNameTaken(Conflict):
    code = "sla_policy_name_taken"


class InvalidInput(GiliranError):
    """Input that is well-formed but breaks a rule (e.g. an unknown queue)."""

    code = "invalid_input"


class MalformedRequest(InvalidInput):
    """A body that is not what the endpoint takes (e.g. not a WhatsApp payload)."""

    code = "invalid_request"


class DestinationNotAllowed(InvalidInput):
    """A webhook URL that points into a private, loopback or link-local network."""

    code = "destination_not_allowed"


class NotConfigured(GiliranError):
    """A feature this deployment has not set up (e.g. no Telegram bot)."""

    code = "not_configured"


class OutsideCustomerWindow(Conflict):
    """WhatsApp takes free text only within 24 hours of the customer's last message."""

    code = "outside_customer_window"


class CustomerBlocked(Conflict):
    """The customer blocked the bot: nothing reaches them until they write again."""

    code = "customer_blocked"


class NoChannel(Conflict):
    """The ticket did not come from a channel giliran can answer on (it was posted by API)."""

    code = "no_channel"


class TooLarge(GiliranError):
    """Something bigger than this deployment serves (a customer's media over the cap)."""

    code = "media_too_large"


class ChannelUnavailable(GiliranError):
    """The channel's API did not answer as it should (an outage, a refused token)."""

    code = "channel_unavailable"


class NotYourTurn(Conflict):
    """A pick-up in a queue that takes claims in turn, by someone whose turn it is not."""

    code = "not_your_turn"


class PickupDisabled(Conflict):
    """Picking up by hand is switched off for the ticket's queue (pickup: off)."""

    code = "pickup_disabled"


class PausedInQueue(Conflict):
    """The agent is paused in the ticket's queue (after too many misses there)."""

    code = "paused_in_queue"


class AutoAssignLocked(Conflict):
    """An admin decided an agent's automatic assignment; the agent cannot switch it itself."""

    code = "auto_assign_locked"


class SimulationTooLong(InvalidInput):
    """A what-if asked of the server would run past the time one request may take."""

    code = "simulation_too_long"


class SimulationRunning(Conflict):
    """This server process is already running a what-if simulation."""

    code = "simulation_running"


class UploadTooLarge(TooLarge):
    """A file an agent sends is over what its channel, or this server, takes."""

    code = "too_large"


class UnsupportedMediaType(GiliranError):
    """A file of a type the customer's channel refuses to carry."""

    code = "unsupported_media_type"


class NoLongerMatches(Conflict):
    """A bulk action's ticket that changed after the filter was read (assigned, unflagged by
    the engine or another supervisor): it is left as it is now."""

    code = "no_longer_matches"


class NotFlagged(Conflict):
    code = "not_flagged"


class TooManyTickets(InvalidInput):
    """A bulk action's filter matching more tickets than one action may touch."""

    code = "too_many_tickets"


class UnknownAddress(NotFound):
    """An address giliran has never heard a customer on: only customers who wrote can be
    linked (see domain/person.py)."""

    code = "unknown_address"


class NotLinked(Conflict):
    """Unlinking an address that is not part of the person."""

    code = "not_linked"
