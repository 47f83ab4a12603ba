"""Publishing a build's outputs: `writer.py` writes and removes files safely, `phase.py` is the
publish phase of a build."""
