#!/bin/sh
# Shows the appliance's first-run setup code on the console and at the login prompt.
# Run once per boot by appliance-setup-code.service, after appliance.service is ready: the
# appliance logs a line containing "setup code" before it reports READY while no admin
# password is set. Installed by install.sh as /opt/appliance/libexec/appliance-setup-code.
set -eu

ISSUE_FILE="${APPLIANCE_ISSUE_FILE:-/etc/issue.d/appliance.issue}"
WAIT_S="${APPLIANCE_SETUP_CODE_WAIT_S:-30}"

setup_code_line() {
  invocation="$(systemctl show -p InvocationID --value appliance.service 2>/dev/null || true)"
  [ -n "$invocation" ] || return 0
  journalctl -o cat --no-pager "_SYSTEMD_INVOCATION_ID=$invocation" 2>/dev/null \
    | grep -i 'setup code' | tail -n 1 || true
}

line=""
waited=0
while [ -z "$line" ] && [ "$waited" -lt "$WAIT_S" ] && systemctl is-active --quiet appliance.service; do
  line="$(setup_code_line)"
  [ -n "$line" ] && break
  sleep 1
  waited=$((waited + 1))
done

if [ -z "$line" ]; then
  # A password is set (or the service is not running): nothing to show, and no stale code.
  rm -f "$ISSUE_FILE"
  exit 0
fi

host="$(uname -n)"
addresses="$(hostname -I 2>/dev/null || true)"
message="Appliance: open http://$host.local/ ${addresses:+(or http://${addresses%% *}/) }to set it up.
Appliance $line"
# stdout goes to the journal and the console (StandardOutput=journal+console).
printf '\n%s\n\n' "$message"
mkdir -p "$(dirname "$ISSUE_FILE")"
printf '%s\n\n' "$message" > "$ISSUE_FILE"
# Show it at the login prompt that is already on the screen.
if command -v agetty >/dev/null 2>&1; then agetty --reload 2>/dev/null || true; fi
