"""Use cases: one small function per command, each one transaction through a UnitOfWork."""
