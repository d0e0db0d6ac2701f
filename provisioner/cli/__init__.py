"""The command line: parse options, call the engine, render, choose the exit code."""
