"""Where a minidl training step spends its time, per Function and per input shape.

    python benchmarks/profile_step.py W5            # the MNIST example's step, 1 thread
    python benchmarks/profile_step.py W6 -s 2       # ResNet-18, 2 measured steps

Wraps, for this process only, every Function's forward (``Function.__call__``) and the
engine's ``propagate`` (one Function's backward and the sending of its gradients) with timers,
runs the workload's step a few times and prints the time of each (Function, input shapes) in
the forward and the backward pass, per step, largest first; what is left of the step (the
optimizer, the loss's glue, Python) is the "outside any Function" line. Nothing in minidl is
changed: the wrapping happens here, at run time. Times are the process's CPU time (on a shared
machine they move less with other people's load than wall time does).
"""
import argparse
import collections
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import workloads  # noqa: E402


def _shapes(values):
    return ' '.join('x'.join(map(str, v.shape)) for v in values if hasattr(v, 'shape'))


def instrument(totals):
    """Wrap Function.__call__ and _Walk.propagate to add seconds into totals[(pass, key)]; a
    nested call's time counts for the inner Function only."""
    from minidl.autograd import engine, function
    call, propagate = function.Function.__call__, engine._Walk.propagate
    stack = [0.0]                  # time of nested calls, to subtract from their parent
    within = []                    # the Function whose backward is running, if any

    def timed(kind, key, run):
        if within and kind == 'forward':      # an op inside a backward counts there
            kind, key = 'backward', f"{within[-1]} > {key}"
        stack.append(0.0)
        start = time.process_time()
        try:
            return run()
        finally:
            spent = time.process_time() - start
            inner = stack.pop()
            totals[(kind, key)] += spent - inner
            stack[-1] += spent

    def wrapped_call(self, *inputs):
        key = f"{type(self).__name__} {_shapes(inputs)}"
        return timed('forward', key, lambda: call(self, *inputs))

    def wrapped_propagate(self, fn, grads, retain_graph):
        key = f"{type(fn).__name__} {_shapes(fn._inputs or ())}"
        within.append(type(fn).__name__)
        try:
            return timed('backward', key, lambda: propagate(self, fn, grads, retain_graph))
        finally:
            within.pop()

    function.Function.__call__ = wrapped_call
    engine._Walk.propagate = wrapped_propagate


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('workload', choices=['W1', 'W2', 'W3', 'W5', 'W6'])
    parser.add_argument('-s', '--steps', type=int, default=5)
    parser.add_argument('-t', '--threads', type=int, default=1)
    parser.add_argument('--top', type=int, default=40)
    args = parser.parse_args(argv)
    from threadpoolctl import threadpool_limits
    threadpool_limits(args.threads)
    step = getattr(workloads, 'minidl_' + args.workload.lower())('cpu')
    step()
    step()
    totals = collections.defaultdict(float)
    instrument(totals)
    start = time.process_time()
    for _ in range(args.steps):
        step()
    whole = (time.process_time() - start) / args.steps * 1e3
    rows = sorted(((t / args.steps * 1e3, kind, key) for (kind, key), t in totals.items()),
                  reverse=True)
    inside = sum(ms for ms, _, _ in rows)
    print(f"{args.workload}: {whole:.1f} ms per step; per Function (ms per step):")
    for kind in ('forward', 'backward'):
        print(f"  {kind}: {sum(ms for ms, k, _ in rows if k == kind):.1f} ms")
    for ms, kind, key in rows[:args.top]:
        print(f"{ms:9.2f}  {kind:8}  {key}")
    print(f"{whole - inside:9.2f}  outside any Function (optimizer, glue, Python)")


if __name__ == '__main__':
    main()
