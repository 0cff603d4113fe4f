#!/bin/bash -e
# pi-gen, on the build host: copy the appliance checkout into the image's root file system, at
# /usr/local/src/appliance, for 01-run-chroot.sh to install (and for later upgrades on the Pi).
# The deploy test runs this same script against a debootstrapped root.
: "${ROOTFS_DIR:?ROOTFS_DIR is not set (run by pi-gen)}"
: "${STAGE_DIR:?STAGE_DIR is not set (run by pi-gen)}"
src="${APPLIANCE_SRC:-$(cd "${STAGE_DIR}/../.." && pwd)}"
dest="${ROOTFS_DIR}/usr/local/src/appliance"
[ -x "${src}/install.sh" ] || { echo "00-run.sh: ${src} is not an appliance checkout" >&2; exit 1; }

rm -rf "${dest}"
install -d -m 0755 "${dest}"
tar -C "${src}" \
	--exclude=./.git --exclude=./.venv --exclude=./build --exclude=./image/work \
	--exclude='*.egg-info' --exclude=__pycache__ --exclude=.pytest_cache --exclude=.mypy_cache \
	--exclude=.hypothesis --exclude='*.db' --exclude='*.db-wal' --exclude='*.db-shm' \
	--owner=root --group=root -cf - . | tar -C "${dest}" -xf -
