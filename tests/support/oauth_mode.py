"""The OAuth app's credentials in the multi-workspace tests (tests/e2e/oauth)."""

from bot.tokens import new_key

KEY = new_key()  # TOKEN_ENCRYPTION_KEY
CLIENT_ID = "1111.2222"
CLIENT_SECRET = "oauth-client-secret"
