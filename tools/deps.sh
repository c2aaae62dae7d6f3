#!/bin/sh
# Installs the Debian packages that building and testing memlens need, and
# does nothing when they are all present.  Run as root on Debian 12.
set -e
need=""
for pc in libelf libdw ncursesw check; do
  pkg-config --exists "$pc" 2>/dev/null || need=yes
done
for tool in cc c++ make pkg-config tmux readelf size groff eu-readelf; do
  command -v "$tool" >/dev/null 2>&1 || need=yes
done
[ -z "$need" ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "memlens: deps: missing build or test packages; run 'make deps' as root" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends \
  build-essential pkg-config libelf-dev libdw-dev libncurses-dev check \
  tmux elfutils binutils groff-base gdb valgrind procps
