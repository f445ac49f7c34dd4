"""Agents: admins create and tune agents; agents read and tune their own.

- `agents`: create, list, change and deactivate agents; an agent's own queue and settings
"""
