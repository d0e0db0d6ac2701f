"""Applying a plan: a worker pool over the dependency graph, one change at a time per resource."""
