"""Tickets: a ticket's life from intake to completion, and the moves made by hand.

- `tickets`: intake (create, admit), accept, complete, cancel; what admins and holders read
- `manual`: agents pick up queued tickets; admins reassign and unassign
- `transfer`: the holder or a supervisor hands a ticket to a colleague, another queue, or
  back to its own, with a reason
- `importing`: a desk's backlog in bulk, then dispatched in batches
- `queue_places`: where each queued ticket of a list stands in its queue
"""
