"""giliran: automatic, fair, real-time assignment of tickets and leads to human agents."""

__version__ = "0.1.0"
