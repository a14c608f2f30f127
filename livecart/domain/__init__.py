"""Pure domain rules and models: no I/O, no framework imports."""
