"""minidl against PyTorch (and NumPy) on the same workloads, in the same process and thread count.

    python benchmarks/run.py                      # all workloads, 1 and 2 threads
    python benchmarks/run.py -w W1 W4 -t 2 -r 20  # some workloads, 2 threads, 20 repeats
    python benchmarks/run.py --device cuda        # CuPy against PyTorch CUDA

Prints medians, min-max spreads and minidl/PyTorch ratios, and writes the results as JSON
(benchmarks/results.json unless --json says otherwise). PyTorch is optional: without it only
minidl and NumPy are measured. BLAS threads are limited with threadpoolctl, PyTorch's with
torch.set_num_threads.

Workloads: W1 digits CNN epoch (Adam, batch 64), W2 LeNet-5 training step (batch 128),
W3 Conv2d(64, 64, 3, padding=1) forward+backward on (32, 64, 32, 32) with GFLOP/s against NumPy
matmul on the same GEMM shapes, W4 per-op overhead of a + b on (8,) tensors, MEM peak RSS of W2
and W3 (each in a fresh process).
"""
import argparse
import json
import os
import platform
import resource
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


def measure(step, repeats, warmup=2, inner=1):
    """Seconds per call of ``step``: (median, min, max) over ``repeats`` timings of ``inner`` calls."""
    for _ in range(warmup):
        step()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(inner):
            step()
        times.append((time.perf_counter() - start) / inner)
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


def run_timed(name, threads, repeats, device):
    """Rows {workload, framework, threads, median, min, max, unit} for one workload."""
    rows = []

    def add(framework, step, unit='ms', scale=1e3, inner=1, reps=repeats):
        med, lo, hi = measure(step, reps, inner=inner)
        rows.append(dict(workload=name, framework=framework, threads=threads, unit=unit,
                         median=med * scale, min=lo * scale, max=hi * scale))

    if name in ('W1', 'W2', 'W3'):
        add('minidl', getattr(workloads, f'minidl_{name.lower()}')(device))
        if torch is not None:
            add('pytorch', getattr(workloads, f'torch_{name.lower()}')(device))
        if name == 'W3':
            if device == 'cpu':
                add('numpy-gemm', workloads.numpy_w3_gemms(device))
            for row in rows:
                row['gflops'] = workloads.W3_FLOPS / (row['median'] / 1e3) / 1e9
    elif name == 'W4':
        for grad in (False, True):
            tag = ' +grad' if grad else ''
            add('minidl' + tag, workloads.minidl_w4(device, grad), 'us', 1e6, 10_000, 7)
            if torch is not None:
                add('pytorch' + tag, workloads.torch_w4(device, grad), 'us', 1e6, 10_000, 7)
        add('numpy', workloads.numpy_w4(device, False), 'us', 1e6, 10_000, 7)
    return rows


def peak_rss(workload, framework, device):
    """Peak resident memory (MiB) of a fresh process that builds and runs the workload twice."""
    code = (f"import sys, resource; sys.path[:0] = {sys.path[:2]!r}; import workloads; "
            f"s = workloads.{framework}_{workload.lower()}({device!r}); s(); s(); "
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)")
    out = subprocess.run([sys.executable, '-c', code], check=True, capture_output=True, text=True)
    return int(out.stdout.split()[-1]) / 1024   # ru_maxrss is in kB on Linux


def ratio_rows(rows):
    """minidl/PyTorch median ratios per workload, thread count and variant."""
    out = []
    index = {(r['workload'], r['framework'], r['threads']): r for r in rows}
    for (wl, fw, th), r in index.items():
        if fw.startswith('minidl'):
            ref = index.get((wl, fw.replace('minidl', 'pytorch'), th))
            if ref:
                out.append(dict(workload=wl, variant=fw, threads=th,
                                ratio=r['median'] / ref['median']))
            gemm = index.get((wl, 'numpy-gemm', th))
            if gemm:
                out.append(dict(workload=wl, variant='minidl GEMM rate / NumPy matmul rate',
                                threads=th, ratio=gemm['median'] / r['median']))
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('-w', '--workload', nargs='+', default=['W1', 'W2', 'W3', 'W4', 'MEM'],
                        choices=['W1', 'W2', 'W3', 'W4', 'MEM'])
    parser.add_argument('-t', '--threads', nargs='+', type=int, default=[1, 2])
    parser.add_argument('-r', '--repeats', type=int, default=10)
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--json', default=os.path.join(os.path.dirname(__file__), 'results.json'))
    args = parser.parse_args(argv)
    if torch is None:
        print('PyTorch is not installed: measuring minidl and NumPy only '
              '(pip install torch for the comparison)')
    if args.device != 'cpu' and torch is not None:
        torch.backends.cudnn.benchmark = True

    rows = []
    for threads in args.threads:
        with Threads(threads):
            for name in args.workload:
                if name != 'MEM':
                    rows.extend(run_timed(name, threads, args.repeats, args.device))
    memory = []
    if 'MEM' in args.workload:
        for wl in ('W2', 'W3'):
            for fw in ('minidl', 'torch') if torch is not None else ('minidl',):
                memory.append(dict(workload=wl, framework=fw.replace('torch', 'pytorch'),
                                   peak_rss_mib=peak_rss(wl, fw, args.device)))

    print(f"\n{'workload':8} {'framework':16} {'thr':>3} {'median':>10} {'min':>10} {'max':>10}")
    for r in rows:
        extra = f"  {r['gflops']:.1f} GFLOP/s" if 'gflops' in r else ''
        print(f"{r['workload']:8} {r['framework']:16} {r['threads']:>3} "
              f"{r['median']:>8.3f}{r['unit']:>2} {r['min']:>8.3f}{r['unit']:>2} "
              f"{r['max']:>8.3f}{r['unit']:>2}{extra}")
    ratios = ratio_rows(rows)
    if ratios:
        print('\nratios (medians, same run)')
        for r in ratios:
            print(f"{r['workload']:8} {r['variant']:40} {r['threads']:>3} threads  "
                  f"{r['ratio']:.2f}")
    for m in memory:
        print(f"peak RSS {m['workload']} {m['framework']:8} {m['peak_rss_mib']:.0f} MiB")

    result = dict(date=str(date.today()), machine=platform.platform(),
                  processor=platform.processor(), cpus=os.cpu_count(), device=args.device,
                  torch=getattr(torch, '__version__', None), rows=rows, ratios=ratios,
                  memory=memory)
    with open(args.json, 'w') as f:
        json.dump(result, f, indent=1)
    print(f'\nwritten to {args.json}')
    return result


if __name__ == '__main__':
    main()
