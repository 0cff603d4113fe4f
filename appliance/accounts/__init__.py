"""The admin account, the one-time setup code, API tokens and the web's stored settings."""
