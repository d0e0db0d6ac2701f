"""Renderers: turn documents (plans, diagnostics, graphs) into text; they never compute."""
