"""The Python anchor of docs/PERFORMANCE.md: the seed's search loop with hashlib.

    python3 benches/anchors/hashlib_loop.py 6
"""
import hashlib
import sys
import time

zeros = int(sys.argv[1]) if len(sys.argv) > 1 else 6
target = "0" * zeros
start = time.perf_counter()
n = 0
while True:
    digest = hashlib.sha512(str(n).encode()).hexdigest()
    if digest.startswith(target):
        break
    n += 1
seconds = time.perf_counter() - start
print(f"({zeros}, {n}, '{digest[:16]}...') {seconds:.3f}s {(n + 1) / seconds / 1e6:.2f} M hashes/s")
