"""Polling devices: poll jobs, adapter failover, health, the batched sample writer."""
