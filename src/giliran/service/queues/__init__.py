"""Queues: the per-queue policy an admin sets, and the rotation pointer.

- `admin`: create, list, read and change a queue (a preset or field by field)
- `pointer`: who is next in turn, and an admin's "this agent is next"
- `rotation`: a queue's members put in a new turn order in one change
- `schedules`: opening hours by name, their holidays, and the check that a queue's exists
"""
