"""Pure models and rules: no I/O, safe to import from workflow code."""
