#!/bin/bash -e
# pi-gen, inside the image's root (on_chroot < 01-run-chroot.sh): the system install, exactly as
# `sudo ./install.sh --no-start` on a Pi. It creates the user, /opt/appliance, /etc/appliance and
# /var/lib/appliance, installs the units and udev rules and enables the service, which therefore
# starts on the first boot. The deploy test runs this same script in a debootstrapped root.
/usr/local/src/appliance/install.sh --no-start </dev/null
