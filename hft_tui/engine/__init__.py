"""The engine: source -> book -> simulated exchange -> strategies -> risk -> portfolio."""
