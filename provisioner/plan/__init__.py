"""Planning: the dependency graph, the diff of every resource, preflight, the frozen plan."""
