"""Words a plan shows in place of a value it must not or cannot show yet.

Kinds, diff and plan write them into documents; renderers show them unquoted, so a reader
never mistakes one for a string the stack sets.
"""

SENSITIVE = "(sensitive)"
"""A secret's value, never shown."""

UNKNOWN = "(known after apply)"
"""A value another resource gives only once it exists (a new model version's number)."""

THIS_VERSION = "(this stack's version)"
"""What an alias points at: the registered model's version with the stack's content."""

ALL = (SENSITIVE, UNKNOWN, THIS_VERSION)
