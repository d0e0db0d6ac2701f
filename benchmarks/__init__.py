"""Speed claims, each measured as a ratio in one run (see DESIGN "Quality bars")."""
