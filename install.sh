#!/usr/bin/env bash
# Installs Distillery's `distill` command: the system packages it builds against (through
# sudo when not run as root), a release build, and the binary in PREFIX/bin — /usr/local/bin
# as root, ~/.local/bin otherwise. The binary is self-contained (the embedded data set is
# compiled in), so it runs from anywhere.
#   ./install.sh                 # or: PREFIX=/opt/distillery ./install.sh
set -euo pipefail
cd "$(dirname "$0")"

need=()
pkg-config --exists openblas 2>/dev/null || need+=(libopenblas-dev)
pkg-config --exists zlib 2>/dev/null || need+=(zlib1g-dev)
command -v pkg-config >/dev/null || need+=(pkg-config)
if [ ${#need[@]} -gt 0 ]; then
    as_root=()
    [ "$(id -u)" = 0 ] || as_root=(sudo)
    echo "installing ${need[*]}" >&2
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
fi

if [ "$(id -u)" = 0 ]; then prefix=${PREFIX:-/usr/local}; else prefix=${PREFIX:-$HOME/.local}; fi
swift build -c release --product distill
install -d "$prefix/bin"
install -m 755 .build/release/distill "$prefix/bin/distill"
echo "installed $("$prefix/bin/distill" --version) as $prefix/bin/distill"
case ":$PATH:" in
    *":$prefix/bin:"*) ;;
    *) echo "note: $prefix/bin is not on your PATH; add it with: export PATH=\"$prefix/bin:\$PATH\"" ;;
esac
