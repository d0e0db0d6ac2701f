"""The engine: plan → confirm → apply → record, for a session on one target.

Below the CLI, which parses options, calls these, renders the events they emit and chooses the
exit code; above `plan` and `apply`, which it wires to the workspace's lookups and the state.
"""
