"""Datasets, DataLoader, random_split and the bundled data sets."""
import os

import numpy as np

import pytest

import minidl as mdl
from minidl.data import DataLoader, Dataset, Subset, TensorDataset, random_split
from tests.conftest import to_numpy


def _dataset(n=23, device='cpu'):
    x = mdl.arange(n * 3, device=device).reshape(n, 3).float()
    y = mdl.arange(n, device=device)
    return TensorDataset(x, y)


class Squares(Dataset):
    """A generic (non-tensor) dataset: sample i is (array [i, i*i], label i)."""

    def __init__(self, n):
        self.n = n

    def __getitem__(self, i):
        return np.array([i, i * i], dtype=np.float32), i

    def __len__(self):
        return self.n


def _labels(loader):
    return [to_numpy(y).tolist() for _, y in loader]


# ------------------------------------------------------------------ TensorDataset
def test_tensor_dataset_items_and_length():
    ds = TensorDataset(np.ones((5, 2), dtype=np.float32), np.arange(5))
    assert len(ds) == 5
    x, y = ds[3]
    assert x.shape == (2,) and y.item() == 3 and y.dtype == np.int64


def test_tensor_dataset_size_mismatch_names_sizes():
    with pytest.raises(ValueError, match=r"\[4, 3\]"):
        TensorDataset(np.zeros((4, 2)), np.zeros(3))


# ------------------------------------------------------------------ DataLoader
@pytest.mark.parametrize('shuffle', [False, True])
@pytest.mark.parametrize('drop_last', [False, True])
@pytest.mark.parametrize('batch_size', [1, 5, 23, 40])
def test_loader_covers_each_sample_once(shuffle, drop_last, batch_size):
    n = 23
    loader = DataLoader(_dataset(n), batch_size=batch_size, shuffle=shuffle, drop_last=drop_last)
    seen = [i for batch in _labels(loader) for i in batch]
    sizes = [len(b) for b in _labels(loader)]
    expected_batches = n // batch_size if drop_last else -(-n // batch_size)
    assert len(loader) == expected_batches == len(sizes)
    assert all(s == batch_size for s in sizes[:-1])
    assert not sizes or 0 < sizes[-1] <= batch_size and (sizes[-1] == batch_size or not drop_last)
    if drop_last:
        assert len(seen) == (n // batch_size) * batch_size
        assert len(set(seen)) == len(seen)
    else:
        assert sorted(seen) == list(range(n))
    if not shuffle:
        assert seen == sorted(seen)


def test_loader_batches_shapes_dtypes_device(device):
    loader = DataLoader(_dataset(10), batch_size=4, device=device)
    batches = list(loader)
    assert [tuple(x.shape) for x, _ in batches] == [(4, 3), (4, 3), (2, 3)]
    for x, y in batches:
        assert isinstance(x, mdl.Tensor) and x.dtype == np.float32 and y.dtype == np.int64
        assert x.device == y.device == mdl.backend.canonical_device(device)
        assert not x.requires_grad
        np.testing.assert_array_equal(to_numpy(x)[:, 0], to_numpy(y) * 3)


def test_loader_keeps_data_on_its_device_without_device_argument(device):
    x, y = next(iter(DataLoader(_dataset(6, device=device), batch_size=4, shuffle=True)))
    assert x.device == mdl.backend.canonical_device(device) and y.dtype == np.int64


def test_batches_are_copies_not_views_of_the_dataset():
    ds = _dataset(6)
    x, _ = next(iter(DataLoader(ds, batch_size=3)))
    x.data[...] = -1
    assert to_numpy(ds.tensors[0]).min() == 0


def test_shuffle_repeats_with_manual_seed_and_differs_across_epochs():
    ds = _dataset(50)
    mdl.manual_seed(3)
    loader = DataLoader(ds, batch_size=50, shuffle=True)
    first, second = _labels(loader), _labels(loader)
    assert first != second                           # a new permutation every epoch
    mdl.manual_seed(3)
    assert _labels(loader) == first and _labels(loader) == second


def test_shuffle_with_own_seed_ignores_global_generator():
    ds = _dataset(50)
    a = DataLoader(ds, batch_size=50, shuffle=True, seed=7)
    b = DataLoader(ds, batch_size=50, shuffle=True, seed=7)
    mdl.manual_seed(1)
    ea = [_labels(a) for _ in range(3)]
    mdl.manual_seed(2)
    eb = [_labels(b) for _ in range(3)]
    assert ea == eb and ea[0] != ea[1]
    assert _labels(DataLoader(ds, batch_size=50, shuffle=True, seed=8)) != ea[0]


def test_loader_state_dict_resumes_the_same_permutations():
    ds = _dataset(40)
    loader = DataLoader(ds, batch_size=40, shuffle=True, seed=5)
    _labels(loader)
    state = loader.state_dict()
    expected = [_labels(loader), _labels(loader)]
    fresh = DataLoader(ds, batch_size=40, shuffle=True, seed=99)
    fresh.load_state_dict(state)
    assert [_labels(fresh), _labels(fresh)] == expected
    unseeded = DataLoader(ds, batch_size=4)
    assert unseeded.state_dict() == {'seed': None, 'generator': None}
    unseeded.load_state_dict(unseeded.state_dict())


def test_generic_dataset_is_collated_by_stacking(device):
    loader = DataLoader(Squares(7), batch_size=3, shuffle=True, device=device)
    xs, ys = [], []
    for x, y in loader:
        assert x.dtype == np.float32 and y.dtype == np.int64 and x.shape[1:] == (2,)
        assert x.device == mdl.backend.canonical_device(device)
        xs.append(to_numpy(x))
        ys.append(to_numpy(y))
    x, y = np.concatenate(xs), np.concatenate(ys)
    assert sorted(y.tolist()) == list(range(7))
    np.testing.assert_array_equal(x[:, 1], y.astype(np.float32) ** 2)


def test_collate_fn_is_used():
    loader = DataLoader(Squares(4), batch_size=2, collate_fn=lambda samples: len(samples))
    assert list(loader) == [2, 2]


def test_loader_argument_errors():
    with pytest.raises(ValueError, match='batch_size'):
        DataLoader(_dataset(3), batch_size=0)
    with pytest.raises(ValueError, match='seed'):
        DataLoader(_dataset(3), seed=-1)


# ------------------------------------------------------------------ random_split / Subset
def test_random_split_sizes_disjoint_and_repeatable():
    ds = _dataset(23)
    parts = random_split(ds, [10, 8, 5])
    assert [len(p) for p in parts] == [10, 8, 5]
    labels = [int(p[i][1].item()) for p in parts for i in range(len(p))]
    assert sorted(labels) == list(range(23))
    a = [p.indices.tolist() for p in random_split(ds, [0.7, 0.3], seed=4)]
    b = [p.indices.tolist() for p in random_split(ds, [0.7, 0.3], seed=4)]
    assert a == b and [len(i) for i in a] == [17, 6]   # floor(16.1)=16, floor(6.9)=6, +1 to first
    assert not set(a[0]) & set(a[1])


def test_random_split_rejects_bad_lengths():
    with pytest.raises(ValueError, match='sum'):
        random_split(_dataset(10), [3, 3])
    with pytest.raises(ValueError):
        random_split(_dataset(10), [0.5, 0.6])


def test_loader_over_subset_uses_the_subset_samples():
    ds = _dataset(20)
    sub = Subset(Subset(ds, np.arange(10, 20)), [1, 3, 5])
    (x, y), = list(DataLoader(sub, batch_size=8))
    assert to_numpy(y).tolist() == [11, 13, 15]
    assert to_numpy(x)[:, 0].tolist() == [33, 39, 45]


# ------------------------------------------------------------------ bundled data sets
def test_digits_shapes_dtypes_ranges_and_stratified_split():
    train, test = mdl.datasets.digits()
    assert len(train) == 1437 and len(test) == 360
    (x_train, y_train), (x_test, y_test) = mdl.datasets.digits(as_arrays=True)
    assert x_train.shape == (1437, 1, 8, 8) and x_test.shape == (360, 1, 8, 8)
    assert x_train.dtype == np.float32 and y_train.dtype == np.int64
    assert x_train.min() == 0.0 and x_train.max() == 1.0
    assert set(np.unique(y_train)) == set(range(10))
    # stratified: each class keeps its share of the data in both parts (within one sample)
    all_counts = np.bincount(np.concatenate([y_train, y_test]), minlength=10)
    assert np.all(np.abs(np.bincount(y_test, minlength=10) - all_counts * 0.2) <= 1)
    np.testing.assert_array_equal(to_numpy(train.tensors[1]), y_train)
    x, y = next(iter(DataLoader(train, batch_size=16)))
    assert x.shape == (16, 1, 8, 8) and y.dtype == np.int64


def test_mnist1d_shapes_when_available():
    pytest.importorskip('mnist1d')
    np_state = np.random.get_state()
    (x_train, y_train), (x_test, y_test) = mdl.datasets.mnist1d(num_samples=500, as_arrays=True)
    assert x_train.shape == (400, 1, 40) and x_test.shape == (100, 1, 40)
    assert x_train.dtype == np.float32 and y_train.dtype == np.int64
    assert set(np.unique(np.concatenate([y_train, y_test]))) == set(range(10))
    # generated, not downloaded, and the global NumPy random state is left as it was
    assert np.array_equal(np.random.get_state()[1], np_state[1])
    train, test = mdl.datasets.mnist1d(num_samples=500)
    np.testing.assert_array_equal(to_numpy(train.tensors[0]), x_train)


@pytest.mark.slow
def test_mnist1d_generation_writes_no_file_and_loads_no_plotting(tmp_path):
    pytest.importorskip('mnist1d')
    import subprocess
    import sys
    code = ("import sys, minidl.datasets as d; tr, te = d.mnist1d(); "
            "print(len(tr), len(te), 'matplotlib' in sys.modules, 'requests' in sys.modules)")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = {**os.environ, 'HOME': str(tmp_path), 'MPLCONFIGDIR': str(tmp_path / 'mpl'),
           'XDG_CACHE_HOME': str(tmp_path / 'cache'), 'PYTHONPATH': root}
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, env=env,
                         cwd=tmp_path, check=True)
    assert out.stdout.split() == ['4000', '1000', 'False', 'False']
    assert list(tmp_path.rglob('*')) == []


def test_sampler_gives_each_epochs_indices():
    class EveryOther:
        """Odd indices, then even ones, on alternate epochs (a sampler is iterated anew)."""
        def __init__(self, n):
            self.n, self.epoch = n, 0

        def __iter__(self):
            self.epoch += 1
            return iter(range(self.epoch % 2, self.n, 2))

        def __len__(self):
            return self.n // 2

    sampler = EveryOther(8)
    loader = DataLoader(_dataset(9), batch_size=3, sampler=sampler)
    assert len(loader) == 2 and loader.sampler is sampler
    assert [to_numpy(y).tolist() for _, y in loader] == [[1, 3, 5], [7]]
    assert [to_numpy(y).tolist() for _, y in loader] == [[0, 2, 4], [6]]
    generic = DataLoader(Squares(5), batch_size=2, sampler=[4, 0, 3])
    assert [to_numpy(y).tolist() for _, y in generic] == [[4, 0], [3]]
    dropped = DataLoader(_dataset(9), batch_size=2, sampler=[8, 1, 2], drop_last=True)
    assert len(dropped) == 1 and [to_numpy(y).tolist() for _, y in dropped] == [[8, 1]]


def test_sampler_and_shuffle_exclude_each_other():
    with pytest.raises(ValueError, match='sampler and shuffle=True are mutually exclusive'):
        DataLoader(_dataset(3), sampler=[0, 1, 2], shuffle=True)
    with pytest.raises(TypeError, match='sampler must be an iterable of indices, got int'):
        DataLoader(_dataset(3), sampler=3)
