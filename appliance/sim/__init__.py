"""Simulated devices speaking the real protocols on loopback (tests and the demo)."""
