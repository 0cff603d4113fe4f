"""Deployment on the Pi: install.sh system mode, systemd unit, udev rules, image stage, sd_notify, clock."""
