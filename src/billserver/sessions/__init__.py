"""Credit-control sessions: grants, usage reports, the reaper."""
