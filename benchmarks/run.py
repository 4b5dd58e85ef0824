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
matmul on the same GEMM shapes (each in NumPy's faster operand order, into preallocated
outputs), W4 per-op overhead of a + b on (8,) tensors. Each framework runs
in a fresh process of its own, one after the other (so no thread pool spins against another),
which also gives its peak resident memory (reported for W2 and W3).
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


STEPS = {  # workload -> {framework: (factory, extra args, unit, scale, inner calls, repeats)}
    'W1': {'minidl': ('minidl_w1', ()), 'pytorch': ('torch_w1', ())},
    'W2': {'minidl': ('minidl_w2', ()), 'pytorch': ('torch_w2', ())},
    'W3': {'minidl': ('minidl_w3', ()), 'pytorch': ('torch_w3', ()),
           'numpy-gemm': ('numpy_w3_gemms', ())},
    'W4': {'minidl': ('minidl_w4', (False,)), 'pytorch': ('torch_w4', (False,)),
           'minidl +grad': ('minidl_w4', (True,)), 'pytorch +grad': ('torch_w4', (True,)),
           'numpy': ('numpy_w4', (False,))},
}


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
    with Threads(threads):
        step = getattr(workloads, factory)(device, *extra)
        if workload == 'W4':
            med, lo, hi = measure(step, 7, inner=10_000)
            unit, scale = 'us', 1e6
        else:
            med, lo, hi = measure(step, repeats)
            unit, scale = 'ms', 1e3
    row = dict(workload=workload, framework=framework, threads=threads, unit=unit,
               median=med * scale, min=lo * scale, max=hi * scale,
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
                                ratio=r['median'] / ref['median']))
            gemm = index.get((wl, 'numpy-gemm', th))
            if gemm:
                out.append(dict(workload=wl, variant='minidl GEMM rate / NumPy matmul rate',
                                threads=th, ratio=gemm['median'] / r['median']))
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('-w', '--workload', nargs='+', default=['W1', 'W2', 'W3', 'W4'],
                        choices=['W1', 'W2', 'W3', 'W4'])
    parser.add_argument('-t', '--threads', nargs='+', type=int, default=[1, 2])
    parser.add_argument('-r', '--repeats', type=int, default=10)
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

    rows = []
    for threads in args.threads:
        for name in args.workload:
            rows.extend(run_timed(name, threads, args.repeats, args.device))
    memory = [dict(workload=r['workload'], framework=r['framework'], threads=r['threads'],
                   peak_rss_mib=r['peak_rss_mib'])
              for r in rows if r['workload'] in ('W2', 'W3') and 'numpy' not in r['framework']]
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
        print(f"peak RSS {m['workload']} {m['framework']:8} {m['threads']} threads "
              f"{m['peak_rss_mib']:.0f} MiB")

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
