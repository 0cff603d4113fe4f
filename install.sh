#!/usr/bin/env bash
# Installs the appliance.
#   ./install.sh --dev          development: ./.venv with the package editable and the test extra,
#                               plus the system packages the tests need (apt, through sudo when not root).
#   sudo ./install.sh           system mode: the service user, /opt/appliance, /etc/appliance,
#                               /var/lib/appliance, the systemd units and udev rules; enables and
#                               (re)starts the service. Re-run it to upgrade (docs/deployment.md).
#   sudo ./install.sh --no-start              the same without starting (image builds, chroots)
#   sudo ./install.sh --uninstall [--purge]   remove the program; --purge also data, config and user
set -euo pipefail

MIN_PY_MAJOR=3
MIN_PY_MINOR=11
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# System packages the test suite needs beyond Python packages (command:Debian package).
DEV_APT_PACKAGES=(
  shellcheck:shellcheck          # tests/deploy: every shell script passes shellcheck
  debootstrap:debootstrap        # tests/deploy: install into a fresh Debian root
  systemd-analyze:systemd        # tests/deploy: systemd-analyze verify of the unit
  udevadm:udev                   # tests/deploy: udev itself checks the serial-adapter rules
  chromium:chromium              # tests/web: the browser tests drive Debian's Chromium (no download)
  mosquitto_passwd:mosquitto     # tests/mqtt: a real broker on free loopback ports (/usr/sbin/mosquitto)
  mosquitto_sub:mosquitto-clients  # tests/mqtt, benchmarks/mqtt.py: a counting subscriber
  openssl:openssl                # tests/mqtt and tests/alerts: test certificates for TLS and STARTTLS
)

# System mode layout.
SERVICE_USER=appliance
SERVICE_GROUPS=(dialout bluetooth)   # serial ports, BlueZ
PREFIX=/opt/appliance
CONF_DIR=/etc/appliance
DATA_DIR=/var/lib/appliance
UNIT_DIR=/etc/systemd/system
UDEV_DIR=/etc/udev/rules.d
ISSUE_FILE=/etc/issue.d/appliance.issue
UNITS=(appliance.service appliance-setup-code.service)
# What the Python packages need from the system (pyudev: libudev1; bleak: BlueZ over D-Bus).
SYSTEM_APT_PACKAGES=(python3 python3-venv libudev1 bluez systemd)
SYSTEM_PYTHON="${APPLIANCE_PYTHON:-/usr/bin/python3}"
OS_RELEASE="${APPLIANCE_OS_RELEASE:-/etc/os-release}"
CHANGED=0

die() { echo "install.sh: $*" >&2; exit 1; }

usage() {
  cat <<USAGE
usage: ./install.sh --dev                  create ./.venv for development and tests
       sudo ./install.sh [--no-start]      install or upgrade the appliance as a system service
       sudo ./install.sh --uninstall       remove the program and its units, keep data and config
       sudo ./install.sh --purge           remove everything, data, config and the service user too
USAGE
}

find_python() {
  local py="${PYTHON:-python3}"
  command -v "$py" >/dev/null 2>&1 || die "python3 is missing: install it (Debian: apt-get install python3 python3-venv)"
  if ! "$py" -c "import sys; sys.exit(0 if sys.version_info >= ($MIN_PY_MAJOR, $MIN_PY_MINOR) else 1)"; then
    die "python3 is too old: $("$py" -c 'import platform; print(platform.python_version())') found, $MIN_PY_MAJOR.$MIN_PY_MINOR or newer needed"
  fi
  "$py" -c "import venv, ensurepip" 2>/dev/null || die "python3 has no venv/ensurepip module (Debian: apt-get install python3-venv)"
  echo "$py"
}

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

install_dev_system_packages() {
  local missing=() entry cmd pkg
  for entry in "${DEV_APT_PACKAGES[@]}"; do
    cmd="${entry%%:*}"; pkg="${entry##*:}"
    command -v "$cmd" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  command -v apt-get >/dev/null 2>&1 || die "missing system packages (${missing[*]}) and no apt-get to install them"
  echo "install.sh: installing system packages: ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}

install_dev() {
  local py venv stamp want
  py="$(find_python)"
  venv="$HERE/.venv"
  stamp="$venv/.appliance-installed"
  install_dev_system_packages
  # The stamp records what was installed; an unchanged checkout skips pip entirely.
  want="$("$py" -c 'import hashlib,sys; print(hashlib.sha256(open(sys.argv[1],"rb").read()+open(sys.argv[2],"rb").read()).hexdigest())' "$HERE/setup.cfg" "$HERE/pyproject.toml")"
  if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    echo "install.sh: .venv is up to date"
    return 0
  fi
  [ -x "$venv/bin/python" ] || "$py" -m venv "$venv"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip
  "$venv/bin/python" -m pip install -q --disable-pip-version-check -e "${HERE}[test]"
  echo "$want" > "$stamp"
  echo "install.sh: development environment ready in .venv"
}

# ---------------------------------------------------------------------------------------------
# System mode.

say() { echo "install.sh: $*"; }

in_chroot() { command -v systemd-detect-virt >/dev/null 2>&1 && systemd-detect-virt --quiet --chroot; }

# True when this machine runs systemd now (not in a chroot, not in an image build).
systemd_live() { [ -d /run/systemd/system ] && ! in_chroot; }

check_os() {
  local fields id like version codename name
  [ -r "$OS_RELEASE" ] || die "cannot tell the operating system ($OS_RELEASE is missing): Debian or Raspberry Pi OS 12 (bookworm) or later is needed"
  # shellcheck source=/dev/null
  fields="$(. "$OS_RELEASE"; printf '%s|%s|%s|%s|%s' "${ID:-}" "${ID_LIKE:-}" "${VERSION_ID:-}" "${VERSION_CODENAME:-}" "${PRETTY_NAME:-unknown}")"
  IFS='|' read -r id like version codename name <<<"$fields"
  case "$id" in
    debian|raspbian) ;;
    *) die "unsupported operating system: $name (ID=$id${like:+, like $like}); Debian or Raspberry Pi OS 12 (bookworm) or later is needed" ;;
  esac
  if [ -n "$version" ]; then
    [ "${version%%.*}" -ge 12 ] 2>/dev/null || die "$name is too old: Debian or Raspberry Pi OS 12 (bookworm) or later is needed"
  else
    # testing and unstable have no VERSION_ID
    case "$codename" in
      bookworm|trixie|forky|duke|sid) ;;
      *) die "cannot tell the release of $name: Debian or Raspberry Pi OS 12 (bookworm) or later is needed" ;;
    esac
  fi
}

require_root() {
  [ "$(id -u)" -eq 0 ] || die "system mode changes /opt, /etc and /var: run it as root (sudo ./install.sh)"
}

package_installed() {
  [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]
}

install_system_packages() {
  local missing=() pkg
  command -v dpkg-query >/dev/null 2>&1 || die "no dpkg here: install.sh supports Debian and Raspberry Pi OS only"
  for pkg in "${SYSTEM_APT_PACKAGES[@]}"; do
    package_installed "$pkg" || missing+=("$pkg")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  command -v apt-get >/dev/null 2>&1 || die "missing system packages: ${missing[*]} (and no apt-get to install them)"
  say "installing system packages: ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get update -q \
    || die "apt-get update failed: install ${missing[*]} by hand, then run install.sh again"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" \
    || die "could not install ${missing[*]}: install them by hand, then run install.sh again"
}

# Sets the mode and owner of an existing path only when they differ (so a re-run touches nothing).
fix_mode() {
  local mode="$1" owner="$2" path="$3"
  [ "$(stat -c '%a' "$path")" = "${mode#0}" ] || chmod "$mode" "$path"
  [ "$(stat -c '%U:%G' "$path")" = "$owner" ] || chown "$owner" "$path"
}

ensure_dir() {
  local mode="$1" owner="$2" path="$3"
  [ -d "$path" ] || { mkdir -p "$path"; CHANGED=1; }
  fix_mode "$mode" "$owner" "$path"
}

# install_file MODE OWNER:GROUP SOURCE DEST: copies only when the content differs.
install_file() {
  local mode="$1" owner="$2" src="$3" dest="$4"
  if ! cmp -s "$src" "$dest"; then
    install -D -m "$mode" "$src" "$dest"
    CHANGED=1
  fi
  fix_mode "$mode" "$owner" "$dest"
}

ensure_user() {
  local group
  getent group "$SERVICE_USER" >/dev/null || groupadd --system "$SERVICE_USER"
  if ! getent passwd "$SERVICE_USER" >/dev/null; then
    useradd --system --gid "$SERVICE_USER" --home-dir "$DATA_DIR" --no-create-home \
      --shell /usr/sbin/nologin --comment "solar appliance service" "$SERVICE_USER"
    CHANGED=1
  fi
  for group in "${SERVICE_GROUPS[@]}"; do
    getent group "$group" >/dev/null || groupadd --system "$group"
    case " $(id -nG "$SERVICE_USER") " in
      *" $group "*) ;;
      *) usermod -a -G "$group" "$SERVICE_USER"; CHANGED=1 ;;
    esac
  done
}

# The venv in $PREFIX, with the appliance installed (not editable) from a clean copy of the checkout,
# so that pip's build files never land in the checkout. Skipped when neither changed.
install_venv() {
  local py="$1" src want pyversion
  src="$(mktemp -d)"
  # shellcheck disable=SC2064 # expand now: the trap must remove this directory
  trap "rm -rf '$src'" EXIT
  # Everything the build may read (package data, data files), without VCS, venvs and caches.
  tar -C "$HERE" --exclude=./.git --exclude=./.venv --exclude=./build --exclude='*.egg-info' \
    --exclude=__pycache__ --exclude=.pytest_cache --exclude=.mypy_cache --exclude=.hypothesis \
    --exclude='*.db' --exclude='*.db-wal' --exclude='*.db-shm' -cf - . | tar -C "$src" -xf -
  pyversion="$("$py" -c 'import sys; print(sys.version)')"
  want="$( (cd "$src" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum; echo "$pyversion") | sha256sum)"
  want="${want%% *}"
  if [ -x "$PREFIX/bin/python" ] && [ "$(cat "$PREFIX/.python-version" 2>/dev/null)" != "$pyversion" ]; then
    say "python changed: recreating $PREFIX"
    "$py" -m venv --clear "$PREFIX"
    CHANGED=1
  elif [ ! -x "$PREFIX/bin/python" ]; then
    "$py" -m venv "$PREFIX"
    CHANGED=1
  fi
  [ "$(cat "$PREFIX/.python-version" 2>/dev/null)" = "$pyversion" ] || echo "$pyversion" > "$PREFIX/.python-version"
  if [ -x "$PREFIX/bin/appliance" ] && [ "$(cat "$PREFIX/.appliance-source" 2>/dev/null)" = "$want" ]; then
    say "$PREFIX is up to date"
  else
    say "installing the appliance into $PREFIX (pip, from PyPI)"
    "$PREFIX/bin/python" -m pip install -q --disable-pip-version-check --no-cache-dir --no-warn-script-location "$src" \
      || die "pip could not install the appliance into $PREFIX (is PyPI reachable?)"
    echo "$want" > "$PREFIX/.appliance-source"
    CHANGED=1
  fi
  rm -rf "$src"
  trap - EXIT
}

install_files() {
  ensure_dir 0750 "root:$SERVICE_USER" "$CONF_DIR"
  install_file 0640 "root:$SERVICE_USER" "$HERE/systemd/config.yaml.example" "$CONF_DIR/config.yaml.example"
  ensure_dir 0700 "$SERVICE_USER:$SERVICE_USER" "$DATA_DIR"
  install_file 0755 root:root "$HERE/systemd/appliance-setup-code.sh" "$PREFIX/libexec/appliance-setup-code"
  install_file 0644 root:root "$HERE/systemd/appliance.service" "$UNIT_DIR/appliance.service"
  install_file 0644 root:root "$HERE/systemd/appliance-setup-code.service" "$UNIT_DIR/appliance-setup-code.service"
  local rules_before="$CHANGED"
  CHANGED=0
  install_file 0644 root:root "$HERE/systemd/99-appliance-serial.rules" "$UDEV_DIR/99-appliance-serial.rules"
  if [ "$CHANGED" -eq 1 ] && [ -S /run/udev/control ] && ! in_chroot; then
    if udevadm control --reload-rules; then udevadm trigger --action=change --subsystem-match=tty || true; fi
  fi
  if [ "$rules_before" -eq 1 ]; then CHANGED=1; fi
}

enable_units() {
  if systemd_live; then systemctl daemon-reload; fi
  local unit
  for unit in "${UNITS[@]}"; do
    systemctl is-enabled --quiet "$unit" 2>/dev/null || systemctl enable --quiet "$unit"
  done
}

start_service() {
  if ! systemd_live; then
    say "systemd is not running here: the service starts on the next boot"
    return 0
  fi
  if [ "$CHANGED" -eq 1 ] || ! systemctl is-active --quiet appliance.service; then
    say "(re)starting appliance.service"
    systemctl restart appliance.service || die "appliance.service did not start: see journalctl -u appliance -b"
  fi
  systemctl start --no-block appliance-setup-code.service || true
}

print_next_steps() {
  local host="$1" started="$2"
  cat <<DONE

The appliance is installed$([ "$started" = 1 ] && echo " and running" || echo "; it starts on the next boot (or: systemctl start appliance)").
  Web UI:          http://$host.local/  (or http://<this machine's address>/)
  Setup code:      on the first visit the UI asks for the one-time setup code; read it with
                     sudo journalctl -u appliance -b | grep -i 'setup code'
                   (it is also shown on the console and at the login prompt after boot).
  Configuration:   $CONF_DIR/config.yaml (example: $CONF_DIR/config.yaml.example)
  Data:            $DATA_DIR (back it up: docs/deployment.md)
  Logs:            journalctl -u appliance
  Upgrade:         git pull && sudo ./install.sh
DONE
}

install_system() {
  local no_start="$1" py started=0
  check_os
  require_root
  install_system_packages
  py="$(PYTHON="$SYSTEM_PYTHON" find_python)"
  command -v systemctl >/dev/null 2>&1 || die "systemctl is missing: the appliance runs as a systemd service"
  ensure_user
  install_venv "$py"
  "$PREFIX/bin/appliance" --version >/dev/null || die "$PREFIX/bin/appliance does not run"
  install_files
  enable_units
  if [ "$no_start" -eq 0 ]; then
    start_service
    if systemd_live; then started=1; fi
  fi
  print_next_steps "$(uname -n)" "$started"
}

uninstall_system() {
  local purge="$1" unit
  require_root
  for unit in "${UNITS[@]}"; do
    if systemd_live; then systemctl stop "$unit" 2>/dev/null || true; fi
    if [ -f "$UNIT_DIR/$unit" ]; then systemctl disable --quiet "$unit" 2>/dev/null || true; fi
    rm -f "$UNIT_DIR/$unit" "$UNIT_DIR/multi-user.target.wants/$unit"
  done
  if systemd_live; then systemctl daemon-reload; fi
  rm -f "$UDEV_DIR/99-appliance-serial.rules" "$ISSUE_FILE" "$CONF_DIR/config.yaml.example"
  rm -rf "$PREFIX"
  if [ "$purge" -eq 1 ]; then
    rm -rf "$DATA_DIR" "$CONF_DIR"
    if getent passwd "$SERVICE_USER" >/dev/null; then userdel "$SERVICE_USER"; fi
    if getent group "$SERVICE_USER" >/dev/null; then groupdel "$SERVICE_USER"; fi
    say "removed the appliance, its data ($DATA_DIR), configuration ($CONF_DIR) and the user $SERVICE_USER"
  else
    rmdir "$CONF_DIR" 2>/dev/null || true
    say "removed the appliance; kept its data ($DATA_DIR), configuration ($CONF_DIR) and the user $SERVICE_USER (--purge removes them)"
  fi
}

main() {
  local mode=system no_start=0 purge=0 arg
  for arg in "$@"; do
    case "$arg" in
      --dev) mode=dev ;;
      --no-start) no_start=1 ;;
      --uninstall) mode=uninstall ;;
      --purge) mode=uninstall; purge=1 ;;
      -h|--help) usage; exit 0 ;;
      *) usage >&2; exit 2 ;;
    esac
  done
  case "$mode" in
    dev) [ "$#" -eq 1 ] || { usage >&2; exit 2; }; install_dev ;;
    uninstall) uninstall_system "$purge" ;;
    system) install_system "$no_start" ;;
  esac
}

main "$@"
