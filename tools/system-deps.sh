#!/usr/bin/env bash
# Install (as root) or name (otherwise) the Debian packages Sealbag needs.
#   tools/system-deps.sh run    what `make run` needs (the app and its CLI)
#   tools/system-deps.sh test   plus what `make test` and `make bench` need
set -euo pipefail

RUN_PKGS=(
  python3 python3-venv python3-dev gcc        # virtualenv; sdists that compile
  libmagic1                                   # python-magic: file types
  sleuthkit ewf-tools                         # fls/icat cross-checks; ewfacquirestream writes E01
  fonts-dejavu-core fonts-noto-core           # fonts embedded in PDF bundles
  libegl1 libgl1 libfontconfig1 libdbus-1-3   # Qt runtime
  libxkbcommon0 libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1
  libxcb-image0 libxcb-render-util0 libxcb-shape0 libxcb-randr0 libxcb-xinerama0 libxcb-xkb1
  xvfb xauth                                  # `make run` on a machine without a display
)
TEST_PKGS=(
  postgresql                                  # throwaway server for the PostgreSQL test run
  dc3dd hashdeep                              # independent tools compared in tests and benchmarks
  mtools dosfstools e2fsprogs fdisk ntfs-3g exfatprogs xorriso  # test/practice image builder
  qpdf poppler-utils                          # bundle checks: qpdf --check, pdftoppm page renders
)

mode="${1:-run}"
pkgs=("${RUN_PKGS[@]}")
[ "$mode" = test ] && pkgs+=("${TEST_PKGS[@]}")

missing=()
for p in "${pkgs[@]}"; do
  status="$(dpkg-query -W -f '${db:Status-Abbrev}' "$p" 2>/dev/null || true)"
  [[ "$status" == ii* ]] || missing+=("$p")
done
[ "${#missing[@]}" -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
  echo "Installing Debian packages: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "Sealbag needs these Debian packages. Install them with:" >&2
  echo "  sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
