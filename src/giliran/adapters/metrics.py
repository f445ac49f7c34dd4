"""Prometheus metrics.

Two sources, so every figure is right however many processes and replicas serve the API:
- events (assignments, escalations, waits) are counted by each process as its units of work
  commit (a subscriber of the commit signal). With several worker processes, `giliran serve` points
  PROMETHEUS_MULTIPROC_DIR at a fresh directory and /metrics adds up the processes' files;
  across replicas Prometheus adds up the scrapes, as usual;
- the state of the floor (queue depth, presence, utilization, flagged tickets) is read from
  the database when /metrics is scraped, so it is the same whichever process answers.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from giliran.service.ports import Committed
from giliran.service.reports.floor import FloorGauges

BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 4 * 3600, 24 * 3600)

ASSIGNMENTS = Counter("giliran_assignments", "Tickets assigned to agents", ["reason"])
ESCALATIONS = Counter("giliran_escalations", "Assignments taken back unaccepted")
CREATED = Counter("giliran_tickets_created", "Tickets created")
COMPLETED = Counter("giliran_tickets_completed", "Tickets completed")
FLAGGED = Counter("giliran_tickets_flagged", "Tickets flagged for a supervisor", ["reason"])
ASSIGNMENT_LATENCY = Histogram(
    "giliran_assignment_latency_seconds",
    "From a ticket's arrival to its first assignment", buckets=BUCKETS)
UNKNOWN_MESSAGES = Counter(
    "giliran_channel_unknown_messages",
    "Customer messages of a kind giliran does not know, kept raw", ["channel", "type"])
HTTP_REQUESTS = Counter(
    "giliran_http_requests",
    "API requests answered, by method and route (its path template: under /api/v1 but for the "
    "probes)", ["method", "route"])
QUEUE_WAIT = Histogram(
    "giliran_queue_wait_seconds",
    "Each stay in the queue that ended in an assignment", buckets=BUCKETS)


class PrometheusObserver:
    """Counts what this process's commits wrote to the history (a subscriber of the commit
    signal: other processes count their own)."""

    def committed(self, commit: Committed) -> None:
        for e in commit.entries:
            if e.event == "assigned":
                ASSIGNMENTS.labels(e.reason.value).inc()
                if e.waited_seconds is not None:
                    QUEUE_WAIT.observe(e.waited_seconds)
                if e.since_arrival_seconds is not None:
                    ASSIGNMENT_LATENCY.observe(e.since_arrival_seconds)
            elif e.event == "escalated":
                ESCALATIONS.inc()
            elif e.event == "created":
                CREATED.inc()
            elif e.event == "completed":
                COMPLETED.inc()
            elif e.event == "flagged":
                FLAGGED.labels(e.reason.value).inc()


def http_request(method: str, route: str) -> Callable[[], None]:
    """The counter of one route and method, labelled once: a request then costs one add."""
    return HTTP_REQUESTS.labels(method, route).inc


def unknown_message(channel: str, kind: str) -> None:
    """A message of a kind this version does not know was kept raw: count it, so an operator
    sees when a channel starts sending something new."""
    UNKNOWN_MESSAGES.labels(channel, kind[:40]).inc()


FloorReader = Callable[[], FloorGauges]


class FloorCollector(Collector):
    def __init__(self, read: FloorReader) -> None:
        self._read = read

    def collect(self) -> Iterator[GaugeMetricFamily]:
        floor = self._read()
        depth = GaugeMetricFamily("giliran_queue_depth", "Tickets waiting", labels=["queue"])
        flagged = GaugeMetricFamily("giliran_flagged_tickets",
                                    "Tickets waiting for a supervisor", labels=["queue"])
        for queue, n in sorted(floor.queued.items()):
            depth.add_metric([queue], n)
        for queue, n in sorted(floor.flagged.items()):
            flagged.add_metric([queue], n)
        agents = GaugeMetricFamily("giliran_agents", "Active agents by presence",
                                   labels=["presence"])
        for presence, n in sorted(floor.presence.items()):
            agents.add_metric([presence], n)
        utilization = GaugeMetricFamily(
            "giliran_utilization", "Active tickets over the capacity of online, opted-in agents")
        utilization.add_metric([], floor.active / floor.capacity if floor.capacity else 0.0)
        yield from (depth, flagged, agents, utilization)


def exposition(read: FloorReader) -> bytes:
    """The text format for one scrape: this process's (or all processes') events, plus the
    floor read from the database."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        for metric in (ASSIGNMENTS, ESCALATIONS, CREATED, COMPLETED, FLAGGED,
                       ASSIGNMENT_LATENCY, QUEUE_WAIT, UNKNOWN_MESSAGES, HTTP_REQUESTS):
            registry.register(metric)
    registry.register(FloorCollector(read))
    return generate_latest(registry)
