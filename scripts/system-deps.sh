#!/usr/bin/env bash
# Installs the system packages sweet17's build and test suite need (Debian/Ubuntu).
# As root (CI): installs them with apt-get. Otherwise: prints the exact command and fails.
set -euo pipefail
PKGS=(swig gcc libpcsclite-dev pcscd pcsc-tools vsmartcard-vpcd vsmartcard-vpicc
      python3-virtualsmartcard postgresql)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
cmd="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
  echo "sweet17 setup: installing system packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  $cmd
else
  echo "sweet17 setup: missing system packages: ${missing[*]}" >&2
  echo "run as root:  sudo apt-get update && sudo $cmd" >&2
  exit 1
fi
