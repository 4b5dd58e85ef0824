"""The torch.utils.data surface: minidl.utils.data, samplers, ConcatDataset/ChainDataset,
default_collate, DataLoader's arguments (batch_sampler, batch_size=None, IterableDataset,
generator), worker processes, and exact resume with the new samplers. PyTorch cross-checks skip
without torch."""
import collections
import inspect
import itertools
import os
import subprocess
import sys
import time

import numpy as np
import pytest

import minidl as mdl
from minidl.data import (BatchSampler, ChainDataset, ConcatDataset, DataLoader, Dataset,
                         IterableDataset, RandomSampler, Sampler, SequentialSampler, Subset,
                         SubsetRandomSampler, TensorDataset, WeightedRandomSampler,
                         default_collate, default_convert, get_worker_info, random_split)
from tests.conftest import to_numpy

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
Point = collections.namedtuple('Point', ['x', 'y'])


# ------------------------------------------------------------------ datasets used below
class Squares(Dataset):
    """Sample i is (float32 array [i, i*i], label i); importable, so spawn workers can load it."""

    def __init__(self, n):
        self.n = n

    def __getitem__(self, i):
        return np.array([i, i * i], dtype=np.float32), i

    def __len__(self):
        return self.n


class WhoReads(Dataset):
    """Sample i says which worker read it, that worker's pid and seed, and a number from
    NumPy's global generator and from Python's random (per-worker seeding)."""

    def __init__(self, n):
        self.n = n

    def __getitem__(self, i):
        import random
        info = get_worker_info()
        return {'i': i, 'worker': -1 if info is None else info.id, 'pid': os.getpid(),
                'seed': -1 if info is None else info.seed % 2 ** 62,
                'np': int(np.random.randint(1 << 30)), 'py': random.randrange(1 << 30),
                'mdl': float(mdl.rand(1).item())}

    def __len__(self):
        return self.n


class Stream(IterableDataset):
    """0..n-1, split among workers by get_worker_info (worker k reads k, k + w, ...)."""

    def __init__(self, n):
        self.n = n

    def __iter__(self):
        info = get_worker_info()
        start, step = (0, 1) if info is None else (info.id, info.num_workers)
        return iter(range(start, self.n, step))

    def __len__(self):
        return self.n


class Failing(Dataset):
    """Raises ``error`` at index ``bad``."""

    def __init__(self, n, bad, error):
        self.n, self.bad, self.error = n, bad, error

    def __getitem__(self, i):
        if i == self.bad:
            raise self.error
        return i

    def __len__(self):
        return self.n


class Dies(Dataset):
    def __getitem__(self, i):
        os._exit(3)

    def __len__(self):
        return 4


class Slow(Dataset):
    def __getitem__(self, i):
        time.sleep(5)
        return i

    def __len__(self):
        return 2


class Unpicklable(Dataset):
    def __getitem__(self, i):
        return lambda: i

    def __len__(self):
        return 2


def _tensor_dataset(n=23, device='cpu'):
    x = mdl.arange(n * 3, device=device).reshape(n, 3).float()
    return TensorDataset(x, mdl.arange(n, device=device))


def _labels(loader):
    return [to_numpy(batch[1]).tolist() for batch in loader]


def _record(loader):
    """Every sample dict of every batch of one epoch, as plain Python."""
    return [{k: to_numpy(v).tolist() for k, v in batch.items()} for batch in loader]


# ------------------------------------------------------------------ minidl.utils.data
def test_utils_data_is_minidl_data():
    import minidl.utils.data as utils_data
    import minidl.utils.data.sampler as utils_sampler
    from minidl.utils.data import DataLoader as UtilsLoader
    from minidl.utils.data.distributed import DistributedSampler as FromPath
    assert utils_data is mdl.data and mdl.utils.data is mdl.data and UtilsLoader is DataLoader
    assert utils_sampler is mdl.data.sampler       # one class, whichever path imported it
    assert FromPath is mdl.data.DistributedSampler is mdl.distributed.DistributedSampler


def test_importing_minidl_utils_loads_no_data_module():
    code = "import sys, minidl.utils; print('minidl.data' in sys.modules)"
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, cwd=ROOT,
                         env={**os.environ, 'PYTHONPATH': ROOT}, check=True)
    assert out.stdout.split() == ['False']


def test_torch_names_exist_here():
    torch = pytest.importorskip('torch')
    import torch.utils.data as tud
    missing = [name for name in tud.__all__ if not hasattr(mdl.data, name)
               and not name.startswith('_')]
    # PyTorch's deprecated DataPipes, left out (README: Differences from PyTorch)
    assert set(missing) <= {'DFIterDataPipe', 'DataChunk', 'IterDataPipe', 'MapDataPipe',
                            'argument_validation', 'functional_datapipe',
                            'guaranteed_datapipes_determinism', 'non_deterministic',
                            'runtime_validation', 'runtime_validation_disabled'}, missing


def test_dataloader_signature_is_pytorchs():
    torch = pytest.importorskip('torch')
    ours = inspect.signature(DataLoader).parameters
    theirs = inspect.signature(torch.utils.data.DataLoader).parameters
    assert list(ours)[:len(theirs)] == list(theirs)
    assert list(ours)[len(theirs):] == ['seed', 'device']
    for name, p in theirs.items():
        assert ours[name].kind == p.kind and ours[name].default == p.default, name


# ------------------------------------------------------------------ samplers
def test_sequential_and_batch_sampler_as_in_pytorchs_docs():
    assert list(SequentialSampler(range(4))) == [0, 1, 2, 3]
    assert list(BatchSampler(SequentialSampler(range(10)), batch_size=3, drop_last=False)) == \
        [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
    assert list(BatchSampler(SequentialSampler(range(10)), batch_size=3, drop_last=True)) == \
        [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
    assert len(BatchSampler(range(10), 3, False)) == 4
    assert len(BatchSampler(range(10), 3, True)) == 3
    assert all(type(i) is int for b in BatchSampler(RandomSampler(range(7)), 2, False) for i in b)
    endless = BatchSampler(itertools.count(), 4, False)       # read lazily
    assert list(itertools.islice(endless, 2)) == [[0, 1, 2, 3], [4, 5, 6, 7]]


def test_random_sampler_permutes_repeats_with_seed_and_draws_with_replacement():
    mdl.manual_seed(1)
    first = [list(RandomSampler(range(20))) for _ in range(2)]
    assert sorted(first[0]) == list(range(20)) and first[0] != first[1]
    mdl.manual_seed(1)
    assert [list(RandomSampler(range(20))) for _ in range(2)] == first
    more = list(RandomSampler(range(5), num_samples=12))      # whole permutations, then a part
    assert len(more) == 12 and sorted(more[:5]) == sorted(more[5:10]) == list(range(5))
    assert len(set(more[10:])) == 2
    drawn = list(RandomSampler(range(3), replacement=True, num_samples=3000))
    assert len(drawn) == 3000 and np.allclose(np.bincount(drawn) / 3000, 1 / 3, atol=0.04)
    own = [list(RandomSampler(range(9), generator=np.random.default_rng(4))) for _ in range(2)]
    assert own[0] == own[1] and len(RandomSampler(range(9), num_samples=4)) == 4


def test_subset_random_sampler():
    sampler = SubsetRandomSampler([3, 9, 4, 7], generator=np.random.default_rng(0))
    a, b = list(sampler), list(sampler)
    assert sorted(a) == sorted(b) == [3, 4, 7, 9] and len(sampler) == 4
    assert all(type(i) is int for i in a)


def test_weighted_random_sampler_with_replacement_follows_the_weights():
    weights = [1.0, 0.0, 3.0, 6.0]
    sampler = WeightedRandomSampler(weights, num_samples=40000,
                                    generator=np.random.default_rng(0))
    counts = np.bincount(list(sampler), minlength=4) / 40000
    np.testing.assert_allclose(counts, [0.1, 0.0, 0.3, 0.6], atol=0.01)
    assert counts[1] == 0 and len(sampler) == 40000


def test_weighted_random_sampler_without_replacement():
    weights = np.array([5.0, 0.0, 1.0, 2.0, 2.0])
    sampler = WeightedRandomSampler(weights, num_samples=4, replacement=False)
    firsts = []
    for _ in range(4000):
        drawn = list(sampler)
        assert sorted(drawn) == [0, 2, 3, 4]          # each once, never the zero weight
        firsts.append(drawn[0])
    # the first index is drawn with probability weight / total, as in sequential sampling
    np.testing.assert_allclose(np.bincount(firsts, minlength=5) / 4000,
                               [0.5, 0, 0.1, 0.2, 0.2], atol=0.03)
    with pytest.raises(RuntimeError, match='cannot draw num_samples=5.*4 of positive weight'):
        WeightedRandomSampler(weights, 5, replacement=False)


@pytest.mark.parametrize('make,error,match', [
    (lambda: RandomSampler(range(3), replacement=1), TypeError,
     'replacement should be a boolean value, but got replacement=1'),
    (lambda: RandomSampler(range(3), num_samples=0), ValueError,
     'num_samples should be a positive integer value, but got num_samples=0'),
    (lambda: RandomSampler([]), ValueError, 'num_samples=0'),
    (lambda: RandomSampler(range(3), generator=3), TypeError, 'numpy.random.default_rng'),
    (lambda: WeightedRandomSampler([1.0, 2.0], num_samples=True), ValueError, 'num_samples'),
    (lambda: WeightedRandomSampler([1.0, 2.0], 2, replacement='yes'), ValueError,
     'replacement should be a boolean value'),
    (lambda: WeightedRandomSampler([[1.0, 2.0]], 2), ValueError,
     r'weights should be a 1d sequence but given weights have shape \(1, 2\)'),
    (lambda: WeightedRandomSampler([1.0, -2.0], 2), RuntimeError, 'non-negative'),
    (lambda: WeightedRandomSampler([0.0, 0.0], 2), RuntimeError, 'sum to zero'),
    (lambda: BatchSampler(range(3), 0, False), ValueError,
     'batch_size should be a positive integer value, but got batch_size=0'),
    (lambda: BatchSampler(range(3), 2, 1), ValueError,
     'drop_last should be a boolean value, but got drop_last=1'),
])
def test_sampler_errors(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_samplers_match_pytorchs_deterministic_output():
    torch = pytest.importorskip('torch')
    tud = torch.utils.data
    for n, size, drop in [(10, 3, False), (10, 3, True), (9, 3, True), (1, 4, False)]:
        assert list(BatchSampler(SequentialSampler(range(n)), size, drop)) == \
            list(tud.BatchSampler(tud.SequentialSampler(range(n)), size, drop))
        assert len(BatchSampler(range(n), size, drop)) == len(tud.BatchSampler(range(n), size,
                                                                               drop))
    assert isinstance(RandomSampler(range(3)), Sampler) and not hasattr(Sampler(), '__len__')


# ------------------------------------------------------------------ datasets
def test_concat_dataset_indexing_and_plus():
    a, b = Squares(3), Squares(4)
    both = ConcatDataset([a, b])
    assert len(both) == 7 and both.cumulative_sizes == [3, 7]
    assert [both[i][1] for i in range(7)] == [0, 1, 2, 0, 1, 2, 3]
    assert both[-1][1] == 3 and both[-7][1] == 0
    with pytest.raises(ValueError, match='absolute value of index should not exceed'):
        both[-8]
    with pytest.raises(IndexError, match='index 7 is out of range'):
        both[7]
    assert [s[1] for s in (a + b + a)] == [0, 1, 2, 0, 1, 2, 3, 0, 1, 2]
    with pytest.raises(AssertionError, match='should not be an empty iterable'):
        ConcatDataset([])
    with pytest.raises(AssertionError, match='does not support IterableDataset'):
        ConcatDataset([a, Stream(3)])
    ys = [y for _, yb in DataLoader(both, batch_size=4) for y in to_numpy(yb).tolist()]
    assert ys == [0, 1, 2, 0, 1, 2, 3]


def test_chain_dataset_and_iterable_plus():
    chained = Stream(3) + Stream(2)
    assert isinstance(chained, ChainDataset) and list(chained) == [0, 1, 2, 0, 1]
    assert len(chained) == 5
    with pytest.raises(AssertionError, match='only supports IterableDataset'):
        list(ChainDataset([Squares(2)]))


def test_stack_dataset():
    from minidl.data import StackDataset
    pair = StackDataset(Squares(3), list(range(10, 13)))
    assert pair[1][0][1] == 1 and pair[1][1] == 11 and len(pair) == 3
    named = StackDataset(x=Squares(3), y=[7, 8, 9])
    assert named[2]['y'] == 9
    batch = next(iter(DataLoader(named, batch_size=3)))
    assert to_numpy(batch['y']).tolist() == [7, 8, 9] and batch['x'][0].shape == (3, 2)
    with pytest.raises(ValueError, match='size mismatch'):
        StackDataset(Squares(3), Squares(4))
    with pytest.raises(ValueError, match='not both'):
        StackDataset(Squares(3), y=Squares(3))


def test_subset_list_index_and_getitems():
    sub = Subset(Squares(10), [9, 2, 5])
    x, y = Subset(_tensor_dataset(10), [9, 2, 5])[[0, 2]]
    assert to_numpy(y).tolist() == [9, 5] and x.shape == (2, 3)
    assert [s[1] for s in sub.__getitems__([2, 0])] == [5, 9]
    assert sub[-1][1] == 5 and len(sub) == 3
    assert to_numpy(Subset(_tensor_dataset(6), mdl.tensor([4, 1])).indices).tolist() == [4, 1]


def test_random_split_with_a_generator():
    a = [p.indices.tolist() for p in random_split(Squares(10), [0.6, 0.4],
                                                   generator=np.random.default_rng(1))]
    b = [p.indices.tolist() for p in random_split(Squares(10), [6, 4],
                                                   generator=np.random.default_rng(1))]
    assert a == b and sorted(a[0] + a[1]) == list(range(10))
    with pytest.raises(ValueError, match='seed or generator, not both'):
        random_split(Squares(4), [2, 2], generator=np.random.default_rng(1), seed=1)


# ------------------------------------------------------------------ default_collate
COLLATE_CASES = {
    'tuple of array and int': [(np.array([1.0, 2.0], np.float32), 1),
                               (np.array([3.0, 4.0], np.float32), 0)],
    'dict': [{'x': np.arange(3), 'y': 1.5, 'name': 'a'}, {'x': np.arange(3) + 1, 'y': 2.5,
                                                           'name': 'b'}],
    'named tuple': [Point(1, True), Point(2, False)],
    'nested list': [[1, [2.0, 3]], [4, [5.0, 6]]],
    'numpy scalars': [np.float32(1.5), np.float32(2.5)],
    'numpy 0-d and ints': [(np.array(3), np.int16(1)), (np.array(4), np.int16(2))],
    'strings': ['ab', 'cd'],
    'bools': [True, False],
}


def _plain(batch, torch=None):
    """A collated batch as (type name, dtype, values) trees, for comparing minidl with torch."""
    if isinstance(batch, mdl.Tensor):
        return ('tensor', str(batch.dtype), to_numpy(batch).tolist())
    if torch is not None and isinstance(batch, torch.Tensor):
        return ('tensor', str(batch.dtype).replace('torch.', ''), batch.numpy().tolist())
    if isinstance(batch, dict):
        return {k: _plain(v, torch) for k, v in batch.items()}
    if isinstance(batch, (list, tuple)):
        return (type(batch).__name__, [_plain(v, torch) for v in batch])
    return batch


@pytest.mark.parametrize('case', COLLATE_CASES)
def test_default_collate_matches_pytorch(case):
    torch = pytest.importorskip('torch')
    samples = COLLATE_CASES[case]
    ours = _plain(default_collate(samples))
    theirs = _plain(torch.utils.data.default_collate(samples), torch)
    assert ours == theirs


def test_default_collate_rules_without_torch():
    x, y = default_collate(COLLATE_CASES['tuple of array and int'])
    assert x.shape == (2, 2) and x.dtype == mdl.float32 and y.dtype == mdl.int64
    batch = default_collate(COLLATE_CASES['dict'])
    assert batch['y'].dtype == mdl.float64 and batch['name'] == ['a', 'b']
    point = default_collate(COLLATE_CASES['named tuple'])
    assert isinstance(point, Point) and point.y.dtype == mdl.bool
    t = [mdl.tensor([1.0, 2.0]), mdl.tensor([3.0, 4.0])]
    assert to_numpy(default_collate(t)).tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert isinstance(default_collate([(1, 2), (3, 4)]), list)      # tuples give lists
    w = mdl.tensor([1.0], requires_grad=True)
    stacked = default_collate([w * 2, w * 3])                        # a graph stays a graph
    stacked.sum().backward()
    assert to_numpy(w.grad).tolist() == [5.0]


@pytest.mark.parametrize('samples,error,match', [
    ([[1, 2], [3]], RuntimeError, 'each element in list of batch should be of equal size'),
    ([None, None], TypeError, 'found NoneType'),
    ([np.array(['a']), np.array(['b'])], TypeError, 'dtype <U1'),
    ([np.zeros(2), np.zeros(3)], RuntimeError, 'equal size'),
])
def test_default_collate_errors(samples, error, match):
    with pytest.raises(error, match=match):
        default_collate(samples)


def test_default_convert():
    out = default_convert((np.array([1, 2]), 3, 'a', {'k': np.float32(1.5)}))
    assert isinstance(out, list) and isinstance(out[0], mdl.Tensor) and out[1] == 3
    assert out[2] == 'a' and out[3]['k'].dtype == mdl.float32 and out[3]['k'].shape == ()
    assert isinstance(default_convert(Point(np.array(1), 2)).x, mdl.Tensor)


def test_collate_refuses_mixed_devices(device):
    samples = [mdl.zeros(2), mdl.zeros(2, device=device)]
    if device == 'cpu':
        assert default_collate(samples).shape == (2, 2)
        return
    with pytest.raises(RuntimeError, match='different devices'):
        default_collate(samples)


# ------------------------------------------------------------------ DataLoader arguments
def test_batches_of_a_tensor_dataset_are_lists_as_in_pytorch():
    batch = next(iter(DataLoader(_tensor_dataset(6), batch_size=4)))
    assert isinstance(batch, list) and [tuple(t.shape) for t in batch] == [(4, 3), (4,)]
    generic = next(iter(DataLoader(Squares(6), batch_size=4)))
    assert isinstance(generic, list) and generic[1].dtype == mdl.int64


def test_default_samplers_and_fixed_attributes():
    loader = DataLoader(Squares(7), batch_size=3, shuffle=True, drop_last=True)
    assert isinstance(loader.sampler, RandomSampler) and loader.sampler.generator is None
    assert isinstance(loader.batch_sampler, BatchSampler) and loader.batch_sampler.drop_last
    assert isinstance(DataLoader(Squares(2)).sampler, SequentialSampler)
    for name in ('batch_size', 'sampler', 'batch_sampler', 'drop_last', 'dataset',
                 'persistent_workers'):
        with pytest.raises(ValueError, match=f'the {name} attribute should not be set after'):
            setattr(loader, name, getattr(loader, name))
    loader.collate_fn = default_collate                   # the others may change


def test_batch_sampler_argument():
    loader = DataLoader(Squares(10), batch_sampler=[[3, 1], [0], [9, 8, 7]])
    assert _labels(loader) == [[3, 1], [0], [9, 8, 7]] and len(loader) == 3
    assert loader.batch_size is None and loader.drop_last is False
    fast = DataLoader(_tensor_dataset(10), batch_sampler=BatchSampler(range(10), 4, True))
    assert _labels(fast) == [[0, 1, 2, 3], [4, 5, 6, 7]]


@pytest.mark.parametrize('kwargs', [dict(batch_size=2), dict(shuffle=True),
                                    dict(sampler=[0, 1]), dict(drop_last=True)])
def test_batch_sampler_excludes_the_other_order_arguments(kwargs):
    with pytest.raises(ValueError, match='batch_sampler option is mutually exclusive with '
                                         'batch_size, shuffle, sampler, and drop_last'):
        DataLoader(Squares(4), batch_sampler=[[0, 1]], **kwargs)


def test_batch_size_none_yields_single_converted_samples():
    samples = list(DataLoader(Squares(3), batch_size=None))
    assert len(samples) == 3 and isinstance(samples[0], list)      # converted: tuple -> list
    x, y = samples[2]
    assert isinstance(x, mdl.Tensor) and x.shape == (2,) and y == 2
    assert len(DataLoader(Squares(3), batch_size=None, sampler=[2, 0])) == 2
    with pytest.raises(ValueError, match='batch_size=None option disables auto-batching'):
        DataLoader(Squares(3), batch_size=None, drop_last=True)


def test_iterable_dataset_in_this_process():
    assert [to_numpy(b).tolist() for b in DataLoader(Stream(7), batch_size=3)] == \
        [[0, 1, 2], [3, 4, 5], [6]]
    assert [to_numpy(b).tolist() for b in DataLoader(Stream(7), batch_size=3, drop_last=True)] \
        == [[0, 1, 2], [3, 4, 5]]
    assert list(DataLoader(Stream(3), batch_size=None)) == [0, 1, 2]
    assert len(DataLoader(Stream(7), batch_size=3)) == 3
    assert len(DataLoader(Stream(7), batch_size=3, drop_last=True)) == 2
    for kwargs in (dict(shuffle=True), dict(sampler=[0]), dict(batch_sampler=[[0]])):
        with pytest.raises(ValueError, match='DataLoader with IterableDataset: expected '
                                             f'unspecified {next(iter(kwargs))} option'):
            DataLoader(Stream(3), **kwargs)


def test_generator_argument_and_seed():
    a = DataLoader(Squares(30), batch_size=30, shuffle=True, generator=np.random.default_rng(5))
    b = DataLoader(Squares(30), batch_size=30, shuffle=True, generator=np.random.default_rng(5))
    assert [_labels(a) for _ in range(2)] == [_labels(b) for _ in range(2)]
    assert a.generator is a.sampler.generator
    with pytest.raises(ValueError, match='seed or generator, not both'):
        DataLoader(Squares(3), seed=1, generator=np.random.default_rng(1))
    with pytest.raises(TypeError, match='generator must be None, a numpy.random.Generator'):
        DataLoader(Squares(3), shuffle=True, generator=object())


def test_pin_memory_is_accepted_and_changes_nothing():
    pinned = DataLoader(_tensor_dataset(5), batch_size=2, pin_memory=True)
    assert pinned.pin_memory and _labels(pinned) == _labels(DataLoader(_tensor_dataset(5), 2))


@pytest.mark.parametrize('kwargs,error,match', [
    (dict(num_workers=-1), ValueError, 'num_workers option should be a non-negative integer'),
    (dict(timeout=-1), ValueError, 'timeout option should be non-negative'),
    (dict(prefetch_factor=2), ValueError, 'prefetch_factor option could only be specified in '
                                          'multiprocessing'),
    (dict(persistent_workers=True), ValueError, 'persistent_workers option needs num_workers'),
    (dict(multiprocessing_context='fork'), ValueError, 'multi-process loading'),
    (dict(num_workers=1, multiprocessing_context='nope'), ValueError, 'valid start method'),
    (dict(num_workers=1, multiprocessing_context=3), TypeError, 'multiprocessing context'),
    (dict(num_workers=1, prefetch_factor=0), ValueError, 'prefetch_factor should be a positive'),
    (dict(batch_size=0), ValueError, 'batch_size should be a positive integer value'),
    (dict(drop_last=1), ValueError, 'drop_last should be a boolean value'),
])
def test_loader_argument_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        DataLoader(Squares(4), **kwargs)


def test_loader_over_each_dataset_kind_matches_pytorch():
    torch = pytest.importorskip('torch')
    tud = torch.utils.data

    class TorchStream(tud.IterableDataset):
        def __iter__(self):
            return iter(range(7))

    cases = [(Squares(9), Squares(9), dict(batch_size=4)),
             (Squares(9), Squares(9), dict(batch_size=4, drop_last=True)),
             (Squares(5), Squares(5), dict(batch_size=None)),
             (Squares(9), Squares(9), dict(batch_sampler=[[8, 0], [4]])),
             (Squares(9), Squares(9), dict(batch_size=2, sampler=[7, 3, 5])),
             (Stream(7), TorchStream(), dict(batch_size=3)),
             (Stream(7), TorchStream(), dict(batch_size=3, drop_last=True))]
    for ours, theirs, kwargs in cases:
        mine = [_plain(b) for b in DataLoader(ours, **kwargs)]
        ref = [_plain(b, torch) for b in tud.DataLoader(theirs, **kwargs)]
        assert mine == ref, kwargs


# ------------------------------------------------------------------ worker processes
def test_workers_keep_the_order_and_give_the_same_batches():
    single = [_plain(b) for b in DataLoader(Squares(23), batch_size=4)]
    assert [_plain(b) for b in DataLoader(Squares(23), batch_size=4, num_workers=2)] == single
    fast = DataLoader(_tensor_dataset(23), batch_size=5, num_workers=2)
    assert _labels(fast) == _labels(DataLoader(_tensor_dataset(23), batch_size=5))
    shuffled = [_labels(DataLoader(Squares(23), batch_size=4, shuffle=True, seed=3,
                                   num_workers=2)) for _ in range(2)]
    assert shuffled[0] == shuffled[1]
    assert sorted(i for b in shuffled[0] for i in b) == list(range(23))


def test_worker_info_and_per_worker_seeds():
    assert get_worker_info() is None
    mdl.manual_seed(7)
    loader = DataLoader(WhoReads(8), batch_size=2, num_workers=2)
    first = _record(loader)
    assert [b['worker'] for b in first] == [[0, 0], [1, 1], [0, 0], [1, 1]]   # round-robin
    assert all(b['pid'][0] != os.getpid() for b in first)
    seeds = {b['worker'][0]: b['seed'][0] for b in first}
    assert seeds[1] == seeds[0] + 1
    for key in ('np', 'py', 'mdl'):                 # each worker its own random numbers
        assert first[0][key][0] != first[1][key][0]
    second = _record(loader)
    assert second[0]['np'] != first[0]['np']        # and new ones every epoch
    mdl.manual_seed(7)
    again = _record(loader)
    assert [{k: v for k, v in b.items() if k != 'pid'} for b in again] == \
        [{k: v for k, v in b.items() if k != 'pid'} for b in first]


def _remember_worker(worker_id):
    info = get_worker_info()
    info.dataset.n = 100 + worker_id            # each worker's own copy of the dataset


class LengthReporter(Dataset):
    def __init__(self):
        self.n = 4

    def __getitem__(self, i):
        return self.n

    def __len__(self):
        return 4


def test_worker_init_fn_runs_in_each_worker_on_its_own_copy():
    dataset = LengthReporter()
    loader = DataLoader(dataset, batch_size=1, num_workers=2, worker_init_fn=_remember_worker)
    assert [b.item() for b in loader] == [100, 101, 100, 101] and dataset.n == 4


def test_iterable_dataset_split_among_workers_as_in_pytorch():
    got = [to_numpy(b).tolist() for b in DataLoader(Stream(10), batch_size=3, num_workers=2)]
    # worker 0 reads 0, 2, 4, ...; worker 1 reads 1, 3, ...; batches alternate between them
    assert got == [[0, 2, 4], [1, 3, 5], [6, 8], [7, 9]]
    dropped = DataLoader(Stream(10), batch_size=3, num_workers=2, drop_last=True)
    assert [to_numpy(b).tolist() for b in dropped] == [[0, 2, 4], [1, 3, 5]]
    torch = pytest.importorskip('torch')
    tud = torch.utils.data

    class TorchStream(tud.IterableDataset):
        def __iter__(self):
            info = tud.get_worker_info()
            return iter(range(info.id, 10, info.num_workers))

    ref = [b.tolist() for b in tud.DataLoader(TorchStream(), batch_size=3, num_workers=2)]
    assert got == ref


def test_persistent_workers_live_across_epochs():
    loader = DataLoader(WhoReads(4), batch_size=2, num_workers=2, persistent_workers=True)
    pids = [{p for b in _record(loader) for p in b['pid']} for _ in range(2)]
    assert pids[0] == pids[1] and len(pids[0]) == 2
    fresh = DataLoader(WhoReads(4), batch_size=2, num_workers=2)
    assert {p for b in _record(fresh) for p in b['pid']}.isdisjoint(
        {p for b in _record(fresh) for p in b['pid']})
    stream = DataLoader(Stream(5), batch_size=2, num_workers=2, persistent_workers=True)
    epochs = [[to_numpy(b).tolist() for b in stream] for _ in range(2)]
    assert epochs[0] == epochs[1] == [[0, 2], [1, 3], [4]]
    it = iter(loader)                              # an epoch left early...
    next(it)
    del it
    assert len(_record(loader)) == 2               # ...does not leak into the next one


class WorkerOneFirst(Dataset):
    """Worker 0 answers only after worker 1 has read a sample (it leaves a file in
    ``directory``) and a little more, so worker 1's batch is ready first."""

    def __init__(self, directory):
        self.marker = os.path.join(directory, 'worker-1-has-read')

    def __getitem__(self, i):
        if get_worker_info().id == 1:
            open(self.marker, 'w').close()
            return i
        deadline = time.monotonic() + 20
        while not os.path.exists(self.marker) and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.1)
        return i

    def __len__(self):
        return 4


def test_order_is_kept_even_when_a_later_batch_is_ready_first(tmp_path):
    (tmp_path / 'a').mkdir()
    (tmp_path / 'b').mkdir()
    ordered = DataLoader(WorkerOneFirst(tmp_path / 'a'), num_workers=2)
    assert [to_numpy(b).tolist() for b in ordered] == [[0], [1], [2], [3]]
    arrival = [to_numpy(b).tolist() for b in DataLoader(WorkerOneFirst(tmp_path / 'b'),
                                                        num_workers=2, in_order=False)]
    assert arrival[0] == [1] and sorted(arrival) == [[0], [1], [2], [3]]
    got = _labels(DataLoader(Squares(13), batch_size=2, num_workers=2, in_order=False))
    assert sorted(i for b in got for i in b) == list(range(13)) and len(got) == 7


def test_spawned_workers():
    loader = DataLoader(Squares(9), batch_size=4, num_workers=1, multiprocessing_context='spawn')
    assert _labels(loader) == [[0, 1, 2, 3], [4, 5, 6, 7], [8]]


def test_worker_errors_are_raised_in_the_main_process():
    with pytest.raises(KeyError, match='Caught KeyError in DataLoader worker process 1'):
        list(DataLoader(Failing(6, 3, KeyError('missing')), batch_size=2, num_workers=2))
    with pytest.raises(ValueError, match=r'(?s)worker process 0 while fetching.*ValueError: bad'):
        list(DataLoader(Failing(6, 0, ValueError('bad')), batch_size=2, num_workers=2))
    with pytest.raises(ZeroDivisionError, match='while starting'):
        list(DataLoader(Squares(4), num_workers=1, worker_init_fn=lambda w: 1 / 0))
    with pytest.raises(Exception, match="while sending a batch(?s:.*)Can't pickle"):
        list(DataLoader(Unpicklable(), batch_size=None, num_workers=1))
    with pytest.raises(RuntimeError, match=r'DataLoader worker 0 \(pid \d+\) exited unexpectedly '
                                           'with exit code 3'):
        list(DataLoader(Dies(), num_workers=1))


def test_timeout():
    start = time.monotonic()
    with pytest.raises(RuntimeError, match='DataLoader timed out after 0.3 seconds'):
        list(DataLoader(Slow(), num_workers=1, timeout=0.3))
    assert time.monotonic() - start < 4


def test_workers_are_stopped_when_an_epoch_is_left():
    import gc
    import multiprocessing
    before = set(multiprocessing.active_children())
    it = iter(DataLoader(Squares(40), batch_size=2, num_workers=2))
    next(it)
    assert len(set(multiprocessing.active_children()) - before) == 2
    del it
    gc.collect()
    assert set(multiprocessing.active_children()) - before == set()


def test_worker_batches_reach_the_device(device):
    loader = DataLoader(Squares(5), batch_size=2, num_workers=1, device=device)
    x, y = next(iter(loader))
    assert x.device == y.device == mdl.backend.canonical_device(device)
    if device != 'cpu':
        with pytest.raises(ValueError, match='cannot use the GPU'):
            iter(DataLoader(_tensor_dataset(5, device=device), num_workers=1))


# ------------------------------------------------------------------ exact resume
def test_state_dict_saves_the_loader_and_sampler_generators():
    loader = DataLoader(Squares(20), batch_size=20, shuffle=True,
                        generator=np.random.default_rng(2))
    _labels(loader)
    state = loader.state_dict()
    expected = [_labels(loader) for _ in range(2)]
    fresh = DataLoader(Squares(20), batch_size=20, shuffle=True,
                       generator=np.random.default_rng(99))
    fresh.load_state_dict(state)
    assert [_labels(fresh) for _ in range(2)] == expected
    own = DataLoader(Squares(20), batch_size=20,
                     sampler=RandomSampler(range(20), generator=np.random.default_rng(4)))
    _labels(own)
    state = own.state_dict()
    assert state['generator'] is None and 'sampler_generator' in state
    expected = _labels(own)
    other = DataLoader(Squares(20), batch_size=20,
                       sampler=RandomSampler(range(20), generator=np.random.default_rng(5)))
    other.load_state_dict(state)
    assert _labels(other) == expected
    with pytest.raises(ValueError, match='no generator of its own'):
        DataLoader(Squares(20)).load_state_dict(state)


def _reproducible(loader):
    """One epoch's samples without what a checkpoint does not cover: pids, and the global
    NumPy and Python generators of the main process."""
    return [{k: v for k, v in b.items() if k not in ('pid', 'np', 'py')} for b in _record(loader)]


@pytest.mark.parametrize('make', [
    lambda ds: DataLoader(ds, batch_size=5, sampler=WeightedRandomSampler(
        np.linspace(0.1, 1, 20), 20)),
    lambda ds: DataLoader(ds, batch_size=5, sampler=RandomSampler(ds, replacement=True)),
    lambda ds: DataLoader(ds, batch_size=5, sampler=SubsetRandomSampler(range(0, 20, 2))),
    lambda ds: DataLoader(ds, batch_size=5, shuffle=True, seed=3, num_workers=2),
    lambda ds: DataLoader(ds, batch_size=5, shuffle=True, num_workers=2),
], ids=['weighted', 'replacement', 'subset', 'seeded-workers', 'workers'])
def test_checkpoint_resume_repeats_the_next_epochs(make, tmp_path):
    from minidl.train import load_checkpoint, save_checkpoint
    ds = WhoReads(20)
    model = mdl.nn.Linear(2, 1)
    mdl.manual_seed(11)
    loader = make(ds)
    _record(loader)
    save_checkpoint(tmp_path / 'ckpt.npz', model, epoch=1, loader=loader)
    expected = [_reproducible(loader) for _ in range(2)]
    mdl.manual_seed(12)                             # a different process state...
    resumed = make(ds)
    assert load_checkpoint(tmp_path / 'ckpt.npz', model, loader=resumed) == 1
    got = [_reproducible(resumed) for _ in range(2)]
    assert got == expected                          # ...resumes the same epochs exactly
