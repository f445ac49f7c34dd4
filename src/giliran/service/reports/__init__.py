"""Reports: read models for supervisors and reviewers; nothing here changes the floor.

- `floor`: the workload (queues, agents, what waits) and the gauges for monitoring
- `floor_day`: the day so far (service levels, each agent's day)
- `stats`: the measures a desk is judged by, over a period
- `series`: the floor over the last hours, for the chart
- `utilization`: utilization, load and fairness, replayed from the record
- `recorded`: what the desk really did, beside the What-if's figures
- `rollout_report`: how a queue's rollout went
- `audit`: who had which ticket when, and why
"""
