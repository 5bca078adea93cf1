#!/usr/bin/env bash
# Side-by-side hash rates on one core: Python hashlib, the C loop over OpenSSL,
# coreheat's scalar engine and coreheat's SIMD engine, each searching Z=6 from 0
# (6 899 311 hashes). Run on a quiet machine; prints one line per contender.
#
#   cargo build --release && benches/anchors/compare.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
coreheat=target/release/coreheat
[ -x "$coreheat" ] || { echo "build first: cargo build --release" >&2; exit 1; }
gcc -O2 -o /tmp/coreheat-openssl-loop benches/anchors/openssl_loop.c -lcrypto
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

echo "python hashlib (Z=5):      $(python3 benches/anchors/hashlib_loop.py 5)"
for i in 1 2 3; do echo "C + OpenSSL (Z=6):        $(/tmp/coreheat-openssl-loop 6)"; done
for engine in scalar simd; do
    for i in 1 2 3; do
        "$coreheat" run --mode serial --interval 100ms --out "$out/$engine-$i" --json \
            hash --zeros 6 --engine "$engine" |
            python3 -c "import json,sys; d=json.load(sys.stdin); r=d['result']; print(f'coreheat $engine (Z=6):   {d[\"wall_s\"]:.3f}s {r[\"hashes_per_s\"]/1e6:.2f} M hashes/s ({r[\"engine\"]})')"
    done
done
