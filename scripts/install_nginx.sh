#!/usr/bin/env bash
# Debian's nginx for the scaled layout (`scripts/start.sh --scaled`) and its tests. Only the binary is used: the
# launcher writes its own configuration to var/nginx/nginx.conf and runs nginx in the foreground; the package's
# own service is stopped and disabled so that it does not hold port 80.
set -euo pipefail
if [ -x /usr/sbin/nginx ]; then exit 0; fi
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
echo "setup: installing Debian's nginx for the scaled layout"
$SUDO apt-get update -qq >/dev/null
# policy-rc.d 101: the package must not start its default site during installation
POLICY=/usr/sbin/policy-rc.d
if [ ! -e "$POLICY" ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$POLICY" >/dev/null && $SUDO chmod +x "$POLICY"
  trap '$SUDO rm -f "$POLICY"' EXIT
fi
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends nginx >/dev/null
if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
  $SUDO systemctl disable --now nginx >/dev/null 2>&1 || true
fi
