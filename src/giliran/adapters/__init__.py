"""Adapters implement the service ports: SQL storage, in-memory twins, clocks."""
