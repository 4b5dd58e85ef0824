"""minidl against PyTorch (and NumPy) on the same workloads, in the same process and thread count.

    python benchmarks/run.py                      # all workloads, 1 and 2 threads
    python benchmarks/run.py -w W1 W4 -t 2 -r 20  # some workloads, 2 threads, 20 repeats
    python benchmarks/run.py --device cuda        # CuPy against PyTorch CUDA
    python benchmarks/run.py -w W5 W6 -t 1 -r 9   # the ported examples (W6: --slow-repeats)
    python benchmarks/run.py --data-parallel      # W1, W2 in images/s: 1 or 2 processes

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

``--data-parallel`` measures W1 and W2 as throughput (images per second) for minidl in one
process with 1 and 2 BLAS threads, in 2 processes of 1 thread under mpiexec (minidl.distributed:
each process its half of W1's epoch, or its own W2 batch of 128, gradients averaged), and
PyTorch with 1 and 2 threads. ``--rounds`` repeats the whole set, alternating configurations,
and reports the median and range of the rounds' medians (written to results_dp.json); each
round also records how many cores other processes kept busy meanwhile, and the medians of the
quiet rounds (others <= QUIET cores) are shown beside: on a shared machine a figure measured
beside other work says little, least of all for configurations that need both cores.
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


def measure(step, repeats, warmup=2, inner=1, before=None, cpu_times=None):
    """Seconds per call of ``step``: (median, min, max) over ``repeats`` timings of ``inner`` calls
    (``before()``, e.g. an MPI barrier, runs untimed before each; the process's CPU seconds per
    call are appended to ``cpu_times`` when given)."""
    for _ in range(warmup):
        step()
    times = []
    for _ in range(repeats):
        if before is not None:
            before()
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


DP_STEPS = {'W1': 'minidl_dp_w1', 'W2': 'minidl_dp_w2'}   # data-parallel, under mpiexec
DP_CONFIGS = [('minidl', 1, 1), ('minidl', 1, 2), ('minidl-dp', 2, 1), ('pytorch', 1, 1),
              ('pytorch', 1, 2)]                          # (framework, processes, threads)


def peak_memory_mib():
    """This process's peak resident memory (VmHWM; ru_maxrss would include the parent's)."""
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith('VmHWM:'):
                return int(line.split()[1]) / 1024
    return float('nan')


def child(workload, framework, threads, repeats, device):
    """Measure one (workload, framework) in this fresh process and print the row as JSON."""
    if framework.startswith('minidl'):   # as the examples do (cpu.retain_freed_memory says why)
        import minidl
        minidl.cpu.retain_freed_memory()
    if framework == 'minidl-dp':
        return dp_child(workload, threads, repeats, device)
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


def dp_child(workload, threads, repeats, device):
    """One process of the data-parallel measurement; rank 0 prints the row. Each timing starts
    after a barrier and ends after the step's last Allreduce, which no process leaves before
    all have entered it: so it times the slowest process."""
    from minidl import distributed as dist
    with Threads(threads):
        step = getattr(workloads, DP_STEPS[workload])(device)
        med, lo, hi = measure(step, repeats, before=dist.barrier)
    if dist.is_main():
        print(json.dumps(dict(workload=workload, framework='minidl-dp', threads=threads,
                              processes=dist.world_size(), unit='ms', median=med * 1e3,
                              min=lo * 1e3, max=hi * 1e3)))


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


def images_per_unit(workload, processes):
    """Images in one measured unit: W1's whole epoch (shared by the processes), or one W2 batch
    of 128 per process."""
    if workload == 'W1':
        return len(workloads._digits_arrays()[0])
    return 128 * processes


def cpu_seconds():
    """(CPU seconds the whole machine has been busy, CPU seconds of this process's finished
    children): their growth over a measurement, less ours, is other people's work."""
    import resource
    with open('/proc/stat') as f:
        ticks = [int(v) for v in f.readline().split()[1:9]]
    busy = (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf('SC_CLK_TCK')   # less idle, iowait
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return busy, usage.ru_utime + usage.ru_stime


def others_cores(before, after, seconds):
    """Cores kept busy by other processes during a measurement of ``seconds``."""
    return max(0.0, (after[0] - before[0]) - (after[1] - before[1])) / seconds


QUIET = 0.2    # cores busy with other work, at most, for a measurement to count as quiet


def run_data_parallel(workloads_, repeats, rounds, device):
    """Rows of images/s for every (workload, configuration) of DP_CONFIGS over ``rounds``: each
    round's rate with the cores that other processes kept busy meanwhile (the machine may be
    shared), the median of all rounds and that of the quiet ones."""
    from minidl.distributed import mpiexec_command
    samples = {}
    for _ in range(rounds):
        for workload in workloads_:
            for framework, processes, threads in DP_CONFIGS:
                if framework == 'pytorch' and torch is None:
                    continue
                argv = [sys.executable, os.path.abspath(__file__), '--child', workload,
                        framework, str(threads), str(repeats), device]
                command = mpiexec_command(processes, *argv) if processes > 1 else argv
                if command is None:
                    raise RuntimeError("no mpiexec found: pip install -e '.[mpi]'")
                env = dict(os.environ, OMP_NUM_THREADS=str(threads))
                before, start = cpu_seconds(), time.perf_counter()
                out = subprocess.run(command, capture_output=True, text=True, env=env)
                others = others_cores(before, cpu_seconds(), time.perf_counter() - start)
                if out.returncode != 0:
                    raise RuntimeError(f'{workload} {framework} failed:\n{out.stderr[-3000:]}')
                row = json.loads(out.stdout.strip().splitlines()[-1])
                rate = images_per_unit(workload, processes) / (row['median'] / 1e3)
                samples.setdefault((workload, framework, processes, threads), []).append(
                    dict(images_per_s=rate, others_cores=others))
    rows = []
    for (w, f, p, t), runs in samples.items():
        rates = [r['images_per_s'] for r in runs]
        quiet = [r['images_per_s'] for r in runs if r['others_cores'] <= QUIET]
        rows.append(dict(workload=w, framework=f, processes=p, threads=t, rounds=runs,
                         median=statistics.median(rates), min=min(rates), max=max(rates),
                         quiet_median=statistics.median(quiet) if quiet else None,
                         quiet_rounds=len(quiet)))
    return rows


def report_data_parallel(rows, path):
    """Print the images/s table and the ratios the goals are stated in; write ``path``."""
    print(f"\n{'workload':8} {'configuration':20} {'images/s':>9} {'min-max':>15} "
          f"{'quiet rounds: median':>21}")
    index = {}
    for r in rows:
        name = f"{r['framework']} {r['processes']}p x {r['threads']}t"
        index[(r['workload'], name)] = r
        quiet = (f"{r['quiet_median']:>9.0f} ({r['quiet_rounds']}/{len(r['rounds'])})"
                 if r['quiet_rounds'] else f"{'-':>9} (0/{len(r['rounds'])})")
        print(f"{r['workload']:8} {name:20} {r['median']:>9.0f} {r['min']:>7.0f}-"
              f"{r['max']:<7.0f} {quiet:>21}")
    ratios = []
    for wl in sorted({r['workload'] for r in rows}):
        dp = index.get((wl, 'minidl-dp 2p x 1t'))
        for other, label in (('minidl 1p x 1t', '2 processes / 1 process'),
                             ('pytorch 1p x 2t', '2 processes / PyTorch 2 threads')):
            ref = index.get((wl, other))
            if dp and ref:
                ratios.append(dict(workload=wl, ratio=label, all=dp['median'] / ref['median'],
                                   quiet=dp['quiet_median'] / ref['quiet_median']
                                   if dp['quiet_rounds'] and ref['quiet_rounds'] else None))
    print(f"\n{'ratios of medians':43} {'all':>5} {'quiet':>6}")
    for r in ratios:
        quiet = f"{r['quiet']:.2f}" if r['quiet'] is not None else '-'
        print(f"{r['workload']:8} {r['ratio']:34} {r['all']:>5.2f} {quiet:>6}")
    result = dict(date=str(date.today()), machine=platform.platform(), cpus=os.cpu_count(),
                  torch=getattr(torch, '__version__', None), quiet_threshold_cores=QUIET,
                  rows=rows, ratios=ratios)
    with open(path, 'w') as f:
        json.dump(result, f, indent=1)
    print(f'\nwritten to {path}')
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('-w', '--workload', nargs='+', default=WORKLOADS, choices=WORKLOADS)
    parser.add_argument('-t', '--threads', nargs='+', type=int, default=[1, 2])
    parser.add_argument('-r', '--repeats', type=int, default=10)
    parser.add_argument('--slow-repeats', type=int, default=3, help='repeats of W6')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--json', default=None,
                        help='where to write the results (default benchmarks/results.json, '
                             'or results_dp.json with --data-parallel)')
    parser.add_argument('--data-parallel', action='store_true',
                        help='W1 and W2 in images/s: 1 process x 1 and 2 threads, 2 processes '
                             'x 1 thread (mpiexec), PyTorch 1 and 2 threads')
    parser.add_argument('--rounds', type=int, default=1,
                        help='with --data-parallel: repeat the whole set this many times')
    parser.add_argument('--child', nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        workload, framework, threads, repeats, device = args.child
        return child(workload, framework, int(threads), int(repeats), device)
    if args.data_parallel:
        chosen = [w for w in args.workload if w in DP_STEPS]
        rows = run_data_parallel(chosen, args.repeats, args.rounds, args.device)
        return report_data_parallel(rows, args.json or os.path.join(
            os.path.dirname(os.path.abspath(__file__)), 'results_dp.json'))
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
    path = args.json or os.path.join(os.path.dirname(os.path.abspath(__file__)), 'results.json')
    with open(path, 'w') as f:
        json.dump(result, f, indent=1)
    print(f'\nwritten to {path}')
    return result


if __name__ == '__main__':
    main()
