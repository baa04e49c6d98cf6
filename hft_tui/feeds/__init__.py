"""Market-data sources: the built-in sim venue, live feeds, tick-file replay."""
