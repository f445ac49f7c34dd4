"""What the service layer needs from the outside world, as Protocols, by kind (one module
each: floor, tickets, conversation, outgoing, records, unit_of_work).

`SqlX` and `InMemoryX` in the adapters implement `X`; one contract suite runs against both.
"""

from giliran.service.ports.conversation import (
    CannedReplyRepository,
    CustomerRepository,
    MessageRepository,
    ReadStateRepository,
)
from giliran.service.ports.floor import (
    AgentRepository,
    DaybookRepository,
    PresenceLogRepository,
    QueueRepository,
    SettingsRepository,
)
from giliran.service.ports.outgoing import (
    ChatLinkRepository,
    DeliveryRepository,
    EventRepository,
    NoticeRepository,
    WebhookRepository,
)
from giliran.service.ports.people import (
    Passwords,
    SessionRepository,
    TokenRepository,
    UserRepository,
)
from giliran.service.ports.records import (
    AuditFilter,
    AuditRepository,
    RateLimitRepository,
)
from giliran.service.ports.sla import SlaClockRepository, SlaPolicyRepository
from giliran.service.ports.tickets import (
    HistoryFilter,
    HistoryRepository,
    ListedTicket,
    TicketFilter,
    TicketListing,
    TicketRepository,
)
from giliran.service.ports.unit_of_work import (
    BATCH,
    REPOSITORIES,
    Clock,
    CommitSignal,
    Committed,
    DestinationCheck,
    Repositories,
    Subscriber,
    UnitOfWork,
    UnitOfWorkFactory,
)

__all__ = [
    "BATCH",
    "REPOSITORIES",
    "AgentRepository",
    "AuditFilter",
    "AuditRepository",
    "CannedReplyRepository",
    "ChatLinkRepository",
    "Clock",
    "CommitSignal",
    "Committed",
    "CustomerRepository",
    "DaybookRepository",
    "DeliveryRepository",
    "DestinationCheck",
    "EventRepository",
    "HistoryFilter",
    "HistoryRepository",
    "ListedTicket",
    "MessageRepository",
    "NoticeRepository",
    "Passwords",
    "PresenceLogRepository",
    "QueueRepository",
    "RateLimitRepository",
    "ReadStateRepository",
    "Repositories",
    "SessionRepository",
    "SettingsRepository",
    "SlaClockRepository",
    "SlaPolicyRepository",
    "Subscriber",
    "TicketFilter",
    "TicketListing",
    "TicketRepository",
    "TokenRepository",
    "UnitOfWork",
    "UnitOfWorkFactory",
    "UserRepository",
    "WebhookRepository",
]
