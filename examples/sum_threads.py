"""Sums integers in N threads or N processes (the second seed's experiment).

Usage: python3 sum_threads.py threads|processes N SECONDS
Each worker sums numbers until SECONDS have passed; Python's GIL lets only one
thread run Python code at a time, processes each have their own.
"""
import sys
import threading
import multiprocessing
import time


def work(seconds):
    end = time.monotonic() + seconds
    total = 0
    i = 0
    while time.monotonic() < end:
        for _ in range(10000):
            total += i
            i += 1
    return total


def main():
    kind, count, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    if kind == "threads":
        workers = [threading.Thread(target=work, args=(seconds,), name=f"sum-{n}") for n in range(count)]
    else:
        workers = [multiprocessing.Process(target=work, args=(seconds,)) for _ in range(count)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()


if __name__ == "__main__":
    main()
