"""Energy: 5-minute, hourly and daily rollups, counters, retention."""
