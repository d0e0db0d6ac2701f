"""State: what this stack applied last, per target, with a lock for every writing command."""
