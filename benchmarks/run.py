"""minidl against PyTorch (and NumPy) on the same workloads, in the same process and thread count.

    python benchmarks/run.py                      # all workloads, 1 and 2 threads
    python benchmarks/run.py -w W1 W4 -t 2 -r 20  # some workloads, 2 threads, 20 repeats
    python benchmarks/run.py --device cuda        # CuPy against PyTorch CUDA
    python benchmarks/run.py -w W5 W6 -t 1 -r 9   # the ported examples (W6: --slow-repeats)

Prints medians, min-max spreads and minidl/PyTorch ratios, and writes the results as JSON
(benchmarks/results.json unless --json says otherwise). PyTorch is optional: without it only
minidl and NumPy are measured. BLAS threads are limited with threadpoolctl, PyTorch's with
torch.set_num_threads.

Workloads: W1 digits CNN epoch (Adam, batch 64), W2 LeNet-5 training step (batch 128),
W3 Conv2d(64, 64, 3, padding=1) forward+backward on (32, 64, 32, 32) with GFLOP/s against NumPy
matmul on the same GEMM shapes (each in NumPy's faster operand order, into preallocated
outputs), W4 per-op overhead of a + b on (8,) tensors, W5 a training step of PyTorch's MNIST
example net (batch 64, SGD), W6 a training step of ResNet-18 in the CIFAR layout (batch 128 at
32x32, SGD with momentum and weight decay); W5 and W6 are the same script text for both
frameworks (benchmarks/models.py). W6 takes seconds per step, so it runs --slow-repeats times
(3 by default) after two warm-up steps. Each framework runs in a fresh process of its own, one
after the other (so no thread pool spins against another), which also gives its peak resident
memory (reported for W2, W3, W5 and W6). Besides wall time, each row has the process's CPU time
per step (``cpu_median``): on a shared machine it moves less with other people's load.
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import date

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import workloads  # noqa: E402

try:
    import torch
except ImportError:
    torch = None


def measure(step, repeats, warmup=2, inner=1, cpu_times=None):
    """Seconds per call of ``step``: (median, min, max) over ``repeats`` timings of ``inner`` calls
    (the process's CPU seconds per call are appended to ``cpu_times`` when given)."""
    for _ in range(warmup):
        step()
    times = []
    for _ in range(repeats):
        start, cpu_start = time.perf_counter(), time.process_time()
        for _ in range(inner):
            step()
        times.append((time.perf_counter() - start) / inner)
        if cpu_times is not None:
            cpu_times.append((time.process_time() - cpu_start) / inner)
    return statistics.median(times), min(times), max(times)


class Threads:
    """Limit BLAS (threadpoolctl) and PyTorch to ``n`` threads inside the block."""
    def __init__(self, n):
        self.n = n

    def __enter__(self):
        from threadpoolctl import threadpool_limits
        self.limit = threadpool_limits(self.n)
        if torch is not None:
            self.torch_threads = torch.get_num_threads()
            torch.set_num_threads(self.n)

    def __exit__(self, *exc):
        self.limit.restore_original_limits()
        if torch is not None:
            torch.set_num_threads(self.torch_threads)


STEPS = {  # workload -> {framework: (factory, extra args, unit, scale, inner calls, repeats)}
    'W1': {'minidl': ('minidl_w1', ()), 'pytorch': ('torch_w1', ())},
    'W2': {'minidl': ('minidl_w2', ()), 'pytorch': ('torch_w2', ())},
    'W3': {'minidl': ('minidl_w3', ()), 'pytorch': ('torch_w3', ()),
           'numpy-gemm': ('numpy_w3_gemms', ())},
    'W4': {'minidl': ('minidl_w4', (False,)), 'pytorch': ('torch_w4', (False,)),
           'minidl +grad': ('minidl_w4', (True,)), 'pytorch +grad': ('torch_w4', (True,)),
           'numpy': ('numpy_w4', (False,))},
    'W5': {'minidl': ('minidl_w5', ()), 'pytorch': ('torch_w5', ())},
    'W6': {'minidl': ('minidl_w6', ()), 'pytorch': ('torch_w6', ())},
}
WORKLOADS = list(STEPS)
SLOW = ('W6',)                     # seconds per step: --slow-repeats
MEMORY = ('W2', 'W3', 'W5', 'W6')  # peak resident memory reported


def blas_info():
    """NumPy's BLAS as threadpoolctl sees it (library, version, the kernels' architecture),
    and OPENBLAS_CORETYPE when the environment forces OpenBLAS's choice of kernels: matrix
    products, most of minidl's time, run at about twice the rate on AVX-512 kernels as on
    AVX2 ('Haswell') ones."""
    import numpy  # noqa: F401  (loads the BLAS that threadpoolctl then finds)
    from threadpoolctl import threadpool_info
    libs = [lib for lib in threadpool_info() if lib.get('user_api') == 'blas']
    info = {k: libs[0].get(k) for k in ('internal_api', 'version', 'architecture')} if libs \
        else {}
    info['OPENBLAS_CORETYPE'] = os.environ.get('OPENBLAS_CORETYPE')
    return info


def peak_memory_mib():
    """This process's peak resident memory (VmHWM; ru_maxrss would include the parent's)."""
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith('VmHWM:'):
                return int(line.split()[1]) / 1024
    return float('nan')


def child(workload, framework, threads, repeats, device):
    """Measure one (workload, framework) in this fresh process and print the row as JSON."""
    factory, extra = STEPS[workload][framework]
    cpu_times = []
    with Threads(threads):
        step = getattr(workloads, factory)(device, *extra)
        if workload == 'W4':
            med, lo, hi = measure(step, 7, inner=10_000, cpu_times=cpu_times)
            unit, scale = 'us', 1e6
        else:
            med, lo, hi = measure(step, repeats, cpu_times=cpu_times)
            unit, scale = 'ms', 1e3
    row = dict(workload=workload, framework=framework, threads=threads, unit=unit,
               median=med * scale, min=lo * scale, max=hi * scale,
               cpu_median=statistics.median(cpu_times) * scale,
               peak_rss_mib=peak_memory_mib())
    if workload == 'W3':
        row['gflops'] = workloads.W3_FLOPS / med / 1e9
    print(json.dumps(row))


def run_timed(name, threads, repeats, device):
    """Rows for one workload: each framework measured in its own fresh process, one after the
    other, so that neither's thread pool (OpenMP, OpenBLAS) spins against the other's."""
    rows = []
    for framework in STEPS[name]:
        if 'pytorch' in framework and torch is None:
            continue
        if framework == 'numpy-gemm' and device != 'cpu':
            continue
        # PyTorch runs as its users run it, malloc untouched (W1 loads its data through
        # minidl.datasets, whose import leaves malloc alone); minidl's workloads opt in to
        # cpu.retain_freed_memory themselves (workloads._minidl)
        out = subprocess.run([sys.executable, os.path.abspath(__file__), '--child', name,
                              framework, str(threads), str(repeats), device],
                             capture_output=True, text=True)
        if out.returncode != 0:
            raise RuntimeError(f'{name} {framework} failed:\n{out.stderr[-3000:]}')
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return rows


def ratio_rows(rows):
    """minidl/PyTorch median ratios per workload, thread count and variant."""
    out = []
    index = {(r['workload'], r['framework'], r['threads']): r for r in rows}
    for (wl, fw, th), r in index.items():
        if fw.startswith('minidl'):
            ref = index.get((wl, fw.replace('minidl', 'pytorch'), th))
            if ref:
                out.append(dict(workload=wl, variant=fw, threads=th,
                                ratio=r['median'] / ref['median'],
                                cpu_ratio=r['cpu_median'] / ref['cpu_median']))
            gemm = index.get((wl, 'numpy-gemm', th))
            if gemm:
                out.append(dict(workload=wl, variant='minidl GEMM rate / NumPy matmul rate',
                                threads=th, ratio=gemm['median'] / r['median']))
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('-w', '--workload', nargs='+', default=WORKLOADS, choices=WORKLOADS)
    parser.add_argument('-t', '--threads', nargs='+', type=int, default=[1, 2])
    parser.add_argument('-r', '--repeats', type=int, default=10)
    parser.add_argument('--slow-repeats', type=int, default=3, help='repeats of W6')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--json', default=os.path.join(os.path.dirname(__file__), 'results.json'))
    parser.add_argument('--child', nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        workload, framework, threads, repeats, device = args.child
        return child(workload, framework, int(threads), int(repeats), device)
    if torch is None:
        print('PyTorch is not installed: measuring minidl and NumPy only '
              '(pip install torch for the comparison)')
    if args.device != 'cpu' and torch is not None:
        torch.backends.cudnn.benchmark = True

    blas = blas_info()
    print(f"NumPy's BLAS: {blas}")
    rows = []
    for threads in args.threads:
        for name in args.workload:
            repeats = args.slow_repeats if name in SLOW else args.repeats
            rows.extend(run_timed(name, threads, repeats, args.device))
    memory = [dict(workload=r['workload'], framework=r['framework'], threads=r['threads'],
                   peak_rss_mib=r['peak_rss_mib'])
              for r in rows if r['workload'] in MEMORY and 'numpy' not in r['framework']]
    print(f"\n{'workload':8} {'framework':16} {'thr':>3} {'median':>10} {'min':>10} {'max':>10}"
          f" {'cpu median':>11}")
    for r in rows:
        extra = f"  {r['gflops']:.1f} GFLOP/s" if 'gflops' in r else ''
        print(f"{r['workload']:8} {r['framework']:16} {r['threads']:>3} "
              f"{r['median']:>8.3f}{r['unit']:>2} {r['min']:>8.3f}{r['unit']:>2} "
              f"{r['max']:>8.3f}{r['unit']:>2} {r['cpu_median']:>9.3f}{r['unit']:>2}{extra}")
    ratios = ratio_rows(rows)
    if ratios:
        print('\nratios (medians, same run; CPU time beside)')
        for r in ratios:
            cpu = f"  (cpu {r['cpu_ratio']:.2f})" if 'cpu_ratio' in r else ''
            print(f"{r['workload']:8} {r['variant']:40} {r['threads']:>3} threads  "
                  f"{r['ratio']:.2f}{cpu}")
    for m in memory:
        print(f"peak RSS {m['workload']} {m['framework']:8} {m['threads']} threads "
              f"{m['peak_rss_mib']:.0f} MiB")

    result = dict(date=str(date.today()), machine=platform.platform(),
                  processor=platform.processor(), cpus=os.cpu_count(), device=args.device,
                  torch=getattr(torch, '__version__', None), blas=blas, rows=rows, ratios=ratios,
                  memory=memory)
    with open(args.json, 'w') as f:
        json.dump(result, f, indent=1)
    print(f'\nwritten to {args.json}')
    return result


if __name__ == '__main__':
    main()
