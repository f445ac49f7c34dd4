"""Assignment: who gets which ticket, and when, including what happens as time goes by.

- `dispatch`: the dispatch rule, called inside the unit of work of whatever changed the floor
- `turns`: whose turn it is in a strict rotation, and the pointer that remembers it
- `reach`: nothing waits that nobody can take
- `pauses`: an agent paused in one queue after missed tickets, and lifting the pause
- `presence`: going online and offline, heartbeats, and what that does to an agent's work
- `timers`: the timer pass (silent agents, escalation, aging, orphans)
"""
