"""One function per REST call, JSON dicts in and out."""
