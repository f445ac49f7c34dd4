"""Events: what the pages and the integrators hear of the changes.

- `stream`: who watches the event stream, what they may see, what they missed
- `outbox`: outgoing webhooks, delivered at least once
"""
