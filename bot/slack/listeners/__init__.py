"""One module per Slack surface; each exposes ``register(app, engine, settings)``."""
