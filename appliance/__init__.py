"""The appliance: edge-first monitoring and control for homes with solar, batteries and meters."""

__version__ = "0.1.0"
