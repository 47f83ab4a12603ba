"""One module per command: options in, engine calls, events for a reporter."""
