"""Command groups of the `martmind` command line, one module each."""
