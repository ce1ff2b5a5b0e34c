"""Running Radar: the poll cycle, the delivery loop, the scheduler and the long-running service."""
