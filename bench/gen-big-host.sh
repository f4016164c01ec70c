#!/bin/sh
# Write the benchmark host OUTDIR/big-64-4096 (64 SMMUs, 4096 endpoints).
set -eu
if [ $# -ne 1 ]; then
    echo "usage: $0 OUTDIR" >&2
    exit 2
fi
exec /usr/bin/python3 "$(dirname "$0")/../tests/gen-hosts.py" "$1" --big 64 4096
