"""Headend link: change feed for pull, outbox push, registration, heartbeats, commands."""
