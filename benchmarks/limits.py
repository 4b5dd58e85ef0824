"""What this machine allows a NumPy framework: the limits behind the W2 and W3 figures.

    python benchmarks/limits.py

Prints three things, each measured here and now (medians):

1. The cost of sharing out work: two empty items mapped over a two-thread pool (waking the
   pool's helper thread and waiting for it), median and 90th percentile. Splitting array work
   over two threads pays only for pieces that take several times this.
2. One elementwise pass (ReLU into a preallocated output) on the largest activations of W2,
   W3 and W6, on one thread and split in two halves over two threads of such a pool: what
   sharing NumPy's single-threaded loops among Python threads gains. (minidl had such a pool
   for its Winograd transforms; it was removed, see minidl/cpu.py.)
3. OpenBLAS float32 GEMM rates (NumPy's matmul) on one and two threads: a large square
   product (near the core's peak) against the shapes minidl's convolutions multiply in W2 and
   W3, and the Winograd layer's batched products.

Where (2) shows no gain at W2's size, the elementwise work of small layers stays on one core
however minidl shares it out; (3) shows how far the products a convolution is made of fall
short of the core's peak (the skinny ones of a few channels are bound by memory, not
arithmetic), which is the ceiling for any im2col or Winograd code built on them.
"""
import os
import statistics
import sys
import time

import numpy as np
from threadpoolctl import threadpool_limits

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from concurrent.futures import ThreadPoolExecutor  # noqa: E402

GEMMS = {   # name -> (left shape, right shape): (M, K) @ (K, N), with a leading batch if any
    'square 2048': ((2048, 2048), (2048, 2048)),
    'W3 im2col forward': ((64, 576), (576, 32768)),
    'W3 Winograd product': ((16, 64, 64), (16, 64, 6144)),
    'W2 layer-1 forward': ((6, 25), (25, 100352)),
    'W2 layer-1 weight grad': ((25, 100352), (100352, 6)),
    'W2 layer-2 forward': ((16, 150), (150, 12800)),
}
ACTIVATIONS = {'W2 conv1 output': (128, 6, 28, 28), 'W3 output': (32, 64, 32, 32),
               'W6 first stage': (128, 64, 32, 32)}
POOL = ThreadPoolExecutor(max_workers=1)      # a helper; the calling thread takes a piece too


def shared(fn, items):
    """[fn(item) for item in items] over two threads: the first item on a helper thread."""
    helper = POOL.submit(fn, items[0])
    rest = [fn(item) for item in items[1:]]
    return [helper.result()] + rest


def timings(fn, repeats, warmup=5):
    """Wall times of ``repeats`` calls of ``fn()``, in seconds."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def median_seconds(fn, repeats, warmup=5):
    """Median wall time of ``fn()`` over ``repeats`` calls."""
    return statistics.median(timings(fn, repeats, warmup))


def sharing_seconds(repeats=2000):
    """(median, 90th percentile) seconds of ``shared`` over two empty items."""
    times = sorted(timings(lambda: shared(lambda item: None, [0, 1]), repeats))
    return statistics.median(times), times[int(0.9 * len(times))]


def elementwise():
    rows = []
    for name, shape in ACTIVATIONS.items():
        x = np.random.default_rng(0).standard_normal(shape, dtype=np.float32)
        y, half = np.empty_like(x), shape[0] // 2
        pieces = [slice(0, half), slice(half, None)]
        one = median_seconds(lambda: np.maximum(x, 0, out=y), 300)
        two = median_seconds(lambda: shared(lambda s: np.maximum(x[s], 0, out=y[s]), pieces),
                             300)
        rows.append((f'{name} {shape}, {x.nbytes / 2 ** 20:.1f} MiB', one, two))
    return rows


def gemm_rates():
    rows, rng = [], np.random.default_rng(0)
    for name, (left, right) in GEMMS.items():
        a = rng.standard_normal(left, dtype=np.float32)
        b = rng.standard_normal(right, dtype=np.float32)
        flops = 2 * np.prod(left) * right[-1]
        rates = []
        for threads in (1, 2):
            with threadpool_limits(threads):
                rates.append(flops / median_seconds(lambda: a @ b, 15, warmup=2) / 1e9)
        rows.append((f'{name} {left} @ {right}', *rates))
    return rows


def main():
    median, p90 = sharing_seconds()
    print(f'two empty items shared over two threads: median {median * 1e6:.1f} '
          f'us, 90th percentile {p90 * 1e6:.1f} us')
    print('\nReLU into a preallocated output: one thread | two halves on two threads')
    for name, one, two in elementwise():
        print(f'  {name:40} {one * 1e6:8.1f} us | {two * 1e6:8.1f} us  ({one / two:.2f}x)')
    print('\nOpenBLAS float32 GEMM (NumPy matmul), GFLOP/s: 1 thread | 2 threads')
    for name, one, two in gemm_rates():
        print(f'  {name:58} {one:6.1f} | {two:6.1f}')


if __name__ == '__main__':
    main()
