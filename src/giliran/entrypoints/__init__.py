"""Entry points: the HTTP API, the CLI (and later WebSocket, bots, scheduler)."""
