"""One handler per kind: spec -> request, response -> diffable document, field rules, calls."""
