"""minidl keeps freed memory for reuse on glibc (cpu.retain_freed_memory), so that a training
step does not fault in fresh pages for the arrays the previous step freed."""
import os
import subprocess
import sys
import textwrap

import pytest

from minidl import cpu

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _is_glibc():
    try:
        return bool(os.confstr('CS_GNU_LIBC_VERSION'))
    except (AttributeError, ValueError, OSError):
        return False


glibc_only = pytest.mark.skipif(not _is_glibc(), reason='the C library is not glibc')


def _run(code, **env):
    """Run ``code`` in a fresh interpreter with minidl importable; return its stdout."""
    environ = dict(os.environ, PYTHONPATH=ROOT, **env)
    out = subprocess.run([sys.executable, '-c', textwrap.dedent(code)], capture_output=True,
                         text=True, env=environ, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


RECORD_MALLOPT = """
    import ctypes
    calls = []
    class Libc:
        def __init__(self, name):
            pass
        def mallopt(self, option, value):
            calls.append((option, value))
            return 1
    ctypes.CDLL = Libc
    import minidl
    print(calls)
"""


@glibc_only
def test_import_changes_nothing_in_the_allocator():
    assert _run(RECORD_MALLOPT) == '[]'


@glibc_only
def test_retain_freed_memory_sets_fixed_malloc_thresholds():
    calls = _run(RECORD_MALLOPT.replace('import minidl', 'import minidl; minidl.cpu.retain_freed_memory()'))
    assert calls == str([(-4, 0), (-1, cpu.TRIM_THRESHOLD)])


@glibc_only
def test_retain_freed_memory_reports_success_on_glibc():
    assert cpu.retain_freed_memory() is True


@glibc_only
def test_training_steps_fault_in_no_fresh_pages():
    # The digits CNN freed and re-faulted ~400 pages per step (47 instead of 35 ms an epoch)
    # in some processes before malloc kept its freed memory.
    faults = _run("""
        import resource
        import minidl as mdl
        import minidl.functional as F
        from minidl import nn
        mdl.cpu.retain_freed_memory()
        mdl.manual_seed(0)
        model = nn.Sequential([nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                               nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                               nn.Flatten(), nn.Dense(128, 10)])
        opt = mdl.optim.Adam(model.parameters())
        x, y = mdl.randn(64, 1, 8, 8), mdl.randint(0, 10, (64,))

        def step():
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
        for _ in range(5):
            step()
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        for _ in range(20):
            step()
        print((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 20)
    """)
    assert float(faults) < 50


@glibc_only
def test_arrays_past_glibcs_mmap_limit_are_reused_too():
    # an activation of ResNet-18's first stage at batch 128 is 32 MiB, glibc's largest mmap
    # threshold: freed and allocated again every step, it came back as fresh zeroed pages
    # (12,288 faults per 48 MiB here without retain_freed_memory)
    faults = _run("""
        import resource
        import numpy as np
        import minidl as mdl
        mdl.cpu.retain_freed_memory()
        keep = [np.ones(2 ** 20)]              # something below, so the heap's top moves less
        for _ in range(3):
            a = np.ones(6 * 2 ** 20)           # 48 MiB
            del a
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        for _ in range(10):
            a = np.ones(6 * 2 ** 20)
            del a
        print((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 10)
    """)
    assert float(faults) < 50
