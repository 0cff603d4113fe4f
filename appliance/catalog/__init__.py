"""The hierarchy: systems, arrays, devices and adapters; defaults; config.yaml; recovery."""
