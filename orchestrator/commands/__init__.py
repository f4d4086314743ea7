"""One module per command, one plain function each, returning an exit code."""
