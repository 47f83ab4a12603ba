"""One module per output format: paths, keys, emission, rules."""
