"""MQTT publisher and Home Assistant discovery; command topics go through control."""
