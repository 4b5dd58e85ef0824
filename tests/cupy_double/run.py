"""Run a script with the CuPy double as cupy: python -m tests.cupy_double.run SCRIPT [ARGS].

For example ``python -m tests.cupy_double.run examples/digits.py --device cuda --epochs 2``.
Child processes of the script get the double too ($MINIDL_FAKE_CUDA and the shim on
$PYTHONPATH)."""
import os
import runpy
import sys

from . import export_to_subprocesses, install


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0] in ('-h', '--help'):
        print(__doc__)
        return 0 if argv else 2
    export_to_subprocesses()
    install()
    sys.argv = argv
    sys.path.insert(0, os.path.dirname(os.path.abspath(argv[0])))   # as `python SCRIPT` does
    runpy.run_path(argv[0], run_name='__main__')
    return 0


if __name__ == '__main__':
    sys.exit(main())
