"""Train the lecture notes' network on scikit-learn's 8x8 digits: the main job of minidl.

    conv -> batch norm -> ReLU -> pool -> conv -> batch norm -> ReLU -> pool -> fully connected

Prints the summary table, a progress bar per epoch (on a terminal), then the test accuracy, a
confusion matrix and the wall time. The last line reads ``test accuracy: 0.xxxx``.

    python examples/digits.py                     # defaults: 12 epochs, AdamW, one-cycle schedule
    python examples/digits.py --epochs 3 --quiet --save digits.npz
    python examples/digits.py --plot figures      # also draw curves, filters, maps, confusion
    mpiexec -n 2 python examples/digits.py --distributed   # 2 processes (pip install -e '.[mpi]')

The recipe: batch norm after each convolution, AdamW (weight decay 1e-4), a one-cycle
learning-rate schedule peaking at 0.02, batch 64 and label smoothing 0.1 (without it the mean
over 30 seeds drops from 99.5% to 99.0% in a PyTorch sweep of the same recipe). For comparison
on this split an SVM gets 98.3% and the same CNN without batch norm, trained with plain Adam,
97.7%.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.append(os.path.dirname(os.path.abspath(__file__)))       # for common.py

import common  # noqa: E402

import minidl as mdl  # noqa: E402
from minidl import nn  # noqa: E402


def build_model(channels=16):
    """The notes' conv -> pool -> conv -> pool -> fully connected network, with batch norm:
    ``channels`` filters in the first convolution, twice as many in the second."""
    c = channels
    return nn.Sequential([
        nn.Conv2d(1, c, 3, padding=1), nn.BatchNorm2d(c), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(c, 2 * c, 3, padding=1), nn.BatchNorm2d(2 * c), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Dense(2 * c * 2 * 2, 10),
    ])


def main(argv=None):
    """Train and evaluate; returns a dict with the accuracy, history and confusion matrix."""
    args = common.parse_args(argv, "Train the notes' CNN on the 8x8 digits.",
                             epochs=12, batch_size=64, lr=0.02)
    return common.train_and_report(args, build_model, mdl.datasets.digits, (1, 8, 8),
                                   weight_decay=1e-4, label_smoothing=0.1)


if __name__ == '__main__':
    main()
