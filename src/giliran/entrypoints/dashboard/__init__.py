"""The agent's and the supervisor's dashboards: server-rendered pages, plain JS and CSS."""
