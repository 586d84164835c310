#!/usr/bin/env bash
# Installs the Debian packages csmetrics' builds use, the ones not yet there.
# Usage: bash scripts/deps.sh test|demo|bench   (you are root on the build machines)
set -euo pipefail
case "${1:-test}" in
  demo) pkgs=(cmake g++ make) ;;
  test) pkgs=(cmake g++ make catch2 clang libclang-rt-14-dev libbenchmark-dev libboost-dev python3
              prometheus chromium openmpi-bin libopenmpi-dev
              pybind11-dev python3-dev python3-pytest python3-numpy python3-distributed) ;;
  bench) pkgs=(cmake g++ make libbenchmark-dev libboost-dev sqlite3 time) ;;
  *) echo "usage: deps.sh test|demo|bench" >&2; exit 2 ;;
esac
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "deps.sh: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
