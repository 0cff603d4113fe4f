"""Dispatch: signed setpoints split across assets, clamped, delivered."""
