#!/usr/bin/env bash
# Installs the appliance.
#   ./install.sh --dev   development: ./.venv with the package editable and the test extra,
#                        plus the system packages the tests need (apt, through sudo when not root).
#   sudo ./install.sh    system mode: comes with the packaging issue (see docs/deployment.md).
set -euo pipefail

MIN_PY_MAJOR=3
MIN_PY_MINOR=11
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# System packages the test suite needs beyond Python packages (command -> Debian package).
DEV_APT_PACKAGES=()

die() { echo "install.sh: $*" >&2; exit 1; }

usage() {
  cat <<USAGE
usage: ./install.sh --dev      create ./.venv for development and tests
       sudo ./install.sh       install the appliance as a system service (not yet available)
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
  "$venv/bin/python" -m pip install -q --disable-pip-version-check -e "$HERE[test]"
  echo "$want" > "$stamp"
  echo "install.sh: development environment ready in .venv"
}

case "${1:-}" in
  --dev) install_dev ;;
  -h|--help) usage ;;
  "") die "system mode is not available yet; use ./install.sh --dev for development" ;;
  *) usage >&2; exit 2 ;;
esac
