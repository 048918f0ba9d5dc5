#!/bin/sh
# Makes sure the system packages the test suite needs are present (run by `npm test` before vitest).
# The tests start real processes: a Secret Service (gnome-keyring on a private D-Bus), a kernel keyring
# (keyutils), a real terminal (tmux), curl as an agent, and the --sandbox (bubblewrap, socat and ripgrep,
# which @anthropic-ai/sandbox-runtime needs). On Debian/Ubuntu as root, missing packages are installed with
# apt-get; otherwise this says what to install and exits 1.
# This list is the one place that names them; README.md and the tests point here.
set -u

# command:package pairs
NEEDED="dbus-run-session:dbus gnome-keyring-daemon:gnome-keyring secret-tool:libsecret-tools tmux:tmux keyctl:keyutils curl:curl bwrap:bubblewrap socat:socat rg:ripgrep"

missing=""
for pair in $NEEDED; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || missing="$missing ${pair#*:}"
done
[ -z "$missing" ] && exit 0

# TEST_SETUP_INSTALL=never only reports (what a machine without root sees; used by the suite's own test).
if [ "${TEST_SETUP_INSTALL:-auto}" != never ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "test-setup: installing$missing (apt-get)" >&2
  export DEBIAN_FRONTEND=noninteractive
  if apt-get update -qq && apt-get install -y -qq $missing dbus-x11 >/dev/null; then
    exit 0
  fi
  echo "test-setup: apt-get could not install$missing" >&2
  exit 1
fi

printf '%s\n' "test-setup: the test suite needs system packages that are not installed:$missing" \
  "fix: as root on Debian/Ubuntu: apt-get install -y$missing dbus-x11" \
  "     (or run \`sudo sh scripts/test-setup.sh\`, then \`npm test\` again)" >&2
exit 1
