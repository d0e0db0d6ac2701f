"""The stack language: YAML with spans, templates, variables, targets, references."""
