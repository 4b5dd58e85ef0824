"""A Conv1d network on MNIST-1D (Greydanus & Kobak, "Scaling Down Deep Learning with MNIST-1D").

MNIST-1D is generated in memory by the optional ``mnist1d`` package (pip install -e .[mnist1d]):
4,000 training and 1,000 test signals of length 40, ten classes. The paper's CNN reaches 94% and
its human expert 96%; this network, four convolutions with batch norm, two poolings and global
average pooling, reaches 99.3%, 99.2% and 99.5% for seeds 0-2 with the defaults, in about 10 s.

    python examples/mnist1d.py                    # 15 epochs, AdamW, one-cycle schedule
    python examples/mnist1d.py --epochs 5 --quiet
    mpiexec -n 2 python examples/mnist1d.py --distributed   # 2 processes (pip install -e '.[mpi]')

Same options and last line (``test accuracy: 0.xxxx``) as digits.py.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
# This file is named like the mnist1d package: its folder must be off the path when the package
# is imported (or `import mnist1d` would find this file), so it is there only to import common.
sys.path[:] = [p for p in sys.path if os.path.abspath(p or '.') != HERE]
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)
import common  # noqa: E402
sys.path.remove(HERE)

import minidl as mdl  # noqa: E402
from minidl import nn  # noqa: E402


def block(cin, cout, kernel):
    """Conv1d (length kept) -> batch norm -> ReLU."""
    return [nn.Conv1d(cin, cout, kernel, padding=kernel // 2), nn.BatchNorm1d(cout), nn.ReLU()]


def build_model():
    """(N, 1, 40) -> conv5 x2 -> pool -> conv3 -> pool -> conv3 -> global average -> 10 classes."""
    return nn.Sequential([*block(1, 32, 5), *block(32, 32, 5), nn.MaxPool1d(2),
                          *block(32, 64, 3), nn.MaxPool1d(2), *block(64, 64, 3),
                          nn.GlobalAvgPool(), nn.Dense(64, 10)])


def main(argv=None):
    """Train and evaluate; returns a dict with the accuracy, history and confusion matrix."""
    args = common.parse_args(argv, 'Train a Conv1d network on MNIST-1D.',
                             epochs=15, batch_size=64, lr=0.02)
    return common.train_and_report(args, build_model, load, (1, 40),
                                   weight_decay=0.05, label_smoothing=0.1)


def load():
    """MNIST-1D's train and test sets, or the exit with the reason when the mnist1d package
    cannot be imported (not installed, or hidden by a file of its name)."""
    try:
        return mdl.datasets.mnist1d()
    except ImportError as exc:
        raise SystemExit(f"mnist1d.py: {exc}") from None


if __name__ == '__main__':
    main()
