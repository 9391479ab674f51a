"""End-to-end fixtures (the bot over real HTTP) load from tests/conftest.py's plugins."""
