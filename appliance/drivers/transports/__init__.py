"""Concrete transports: the only place that touches pyserial, pymodbus and bleak."""
