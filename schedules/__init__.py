"""The scheduler and its jobs. APScheduler is the clock, not the truth: each job claims due rows in
the database, does them and marks them done, so restarts and second instances never repeat work."""
