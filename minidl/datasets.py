"""Small data sets that need no download: 8x8 digits (scikit-learn) and MNIST-1D (generated).

    train, test = minidl.datasets.digits()          # TensorDatasets of (N, 1, 8, 8) and labels
    (x_train, y_train), (x_test, y_test) = minidl.datasets.digits(as_arrays=True)

Both return a ``Split(train, test)`` named tuple. Inputs are float32, labels int64. This is a
CPU-only edge of the library, so NumPy and scikit-learn are used directly.
"""
import contextlib
import importlib.util
import random
import sys
import types
from collections import namedtuple

import numpy

from .data import TensorDataset

Split = namedtuple('Split', ['train', 'test'])
Split.__doc__ = """A (train, test) pair: two TensorDatasets, or two (x, y) tuples of NumPy arrays."""


def _result(x_train, y_train, x_test, y_test, as_arrays):
    if as_arrays:
        return Split((x_train, y_train), (x_test, y_test))
    return Split(TensorDataset(x_train, y_train), TensorDataset(x_test, y_test))


def digits(as_arrays=False):
    """scikit-learn's bundled 8x8 handwritten digits (1,797 images, 10 classes; no download).

    Returns ``Split(train, test)``: 1,437 training and 360 test samples from a fixed stratified
    80/20 split (``train_test_split(test_size=0.2, stratify=y, random_state=0)``). Images are
    float32 of shape (N, 1, 8, 8) scaled to [0, 1] (the raw pixels 0..16 divided by 16), labels
    int64 of shape (N,). With ``as_arrays=True`` the parts are ``(x, y)`` NumPy arrays instead of
    TensorDatasets.
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    bunch = load_digits()
    x = (bunch.images.astype(numpy.float32) / numpy.float32(16.0)).reshape(-1, 1, 8, 8)
    y = bunch.target.astype(numpy.int64)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.2, stratify=y,
                                                        random_state=0)
    return _result(numpy.ascontiguousarray(x_train), numpy.ascontiguousarray(y_train),
                   numpy.ascontiguousarray(x_test), numpy.ascontiguousarray(y_test), as_arrays)


@contextlib.contextmanager
def _without_plotting_or_network():
    """Import mnist1d without its plotting and download modules.

    The package imports matplotlib.pyplot (which writes a font cache under the home directory on
    first use) and requests at import time, though its generator needs neither: stand-ins are
    put in their place for the import, unless the real ones are already loaded, and removed
    afterwards, so generating the data touches no file and no network."""
    names = ('matplotlib', 'matplotlib.pyplot', 'requests')
    stubs = [n for n in names if n not in sys.modules]
    for name in stubs:
        sys.modules[name] = types.ModuleType(name)
    try:
        yield
    finally:
        for name in stubs:
            del sys.modules[name]


def _import_mnist1d():
    """The mnist1d package's two generator functions, or an ImportError that says what to do:
    install the package, or move a file named mnist1d.py that hides it."""
    spec = importlib.util.find_spec('mnist1d')
    if spec is not None and spec.submodule_search_locations is None:
        raise ImportError(f"minidl.datasets.mnist1d: {spec.origin} is found as 'mnist1d' instead "
                          "of the mnist1d package (a file of that name in a folder on sys.path "
                          "hides it): rename the file, or run Python from another folder")
    try:
        with _without_plotting_or_network():
            from mnist1d.data import get_dataset_args, make_dataset
    except ImportError as exc:
        # not installed: the hint alone; installed but broken: the hint, caused by its error
        raise ImportError("minidl.datasets.mnist1d needs the optional 'mnist1d' package: "
                          "pip install -e .[mnist1d]  (or pip install mnist1d)") from (
                              exc if spec is not None else None)
    return get_dataset_args, make_dataset


def mnist1d(num_samples=5000, seed=42, train_split=0.8, as_arrays=False):
    """MNIST-1D (Greydanus 2020): 10 classes of 1-D signals of length 40, generated in memory.

    Uses the optional ``mnist1d`` package (``pip install -e .[mnist1d]``) with its default
    settings, calling its generator directly: nothing is downloaded or written. ``num_samples``
    (rounded down to a multiple of 10, balanced over the classes) are split into the first
    ``train_split`` fraction for training and the rest for testing: 4,000 / 1,000 by default.
    ``seed`` fixes the data (42 is the package's default). Returns ``Split(train, test)`` with
    float32 signals of shape (N, 1, 40) and int64 labels of shape (N,); ``as_arrays=True`` gives
    ``(x, y)`` NumPy arrays instead of TensorDatasets.
    """
    get_dataset_args, make_dataset = _import_mnist1d()
    if not isinstance(num_samples, int) or num_samples < 10:
        raise ValueError(f"mnist1d: num_samples must be an integer >= 10, got {num_samples!r}")
    if not 0.0 < train_split < 1.0:
        raise ValueError(f"mnist1d: train_split must be in (0, 1), got {train_split!r}")
    args = get_dataset_args()
    args.num_samples, args.seed, args.train_split = num_samples, int(seed), float(train_split)
    # make_dataset reseeds the global `random` and `numpy.random` generators: put them back.
    py_state, np_state = random.getstate(), numpy.random.get_state()
    try:
        data = make_dataset(args)
    finally:
        random.setstate(py_state)
        numpy.random.set_state(np_state)

    def signals(a):
        return numpy.ascontiguousarray(a, dtype=numpy.float32)[:, None, :]

    return _result(signals(data['x']), numpy.asarray(data['y'], dtype=numpy.int64),
                   signals(data['x_test']), numpy.asarray(data['y_test'], dtype=numpy.int64),
                   as_arrays)
