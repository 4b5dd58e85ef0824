"""minidl.io: round trips, atomic writes and every kind of bad file."""
import json
import os
import pickle
from collections import OrderedDict

import numpy as np
import pytest

import minidl as mdl
from minidl import io
from tests.conftest import to_numpy


def _checkpoint(device='cpu'):
    model = OrderedDict([('fc2.weight', mdl.randn(3, 4, device=device)),
                         ('fc1.bias', mdl.zeros(4, device=device)),
                         ('bn.num_batches_tracked', mdl.tensor(7, device=device)),
                         ('mask', mdl.tensor([True, False], device=device))])
    return {
        'model': model,
        'optimizer': {'state': {0: {'step': 3, 'exp_avg': mdl.ones(3, 4, device=device)},
                                1: {'step': 3, 'exp_avg': mdl.ones(4, device=device)}},
                      'param_groups': [{'lr': 1e-3, 'betas': (0.9, 0.999), 'eps': 1e-8,
                                        'amsgrad': False, 'foreach': None, 'params': [0, 1]}]},
        'scheduler': {'last_epoch': 4, 'base_lrs': [0.1], '_last_lr': [0.05]},
        'epoch': 3,
        'rng': mdl.get_rng_state(),
        'arrays': [np.arange(6, dtype=np.float64).reshape(2, 3), np.array([1, 2], dtype=np.int64),
                   np.array([True, False]), np.float32(2.5), np.int64(-4)],
        'misc': ('text', None, True, False, -1.5, float('inf'), 2 ** 100, [], {}),
        'z-key': 1, 'a-key': 2,
    }


def _assert_same(a, b, where='obj'):
    assert type(a) is type(b), f"{where}: {type(a)} vs {type(b)}"
    if isinstance(a, dict):
        assert list(a) == list(b), f"{where}: key order"
        for k in a:
            _assert_same(a[k], b[k], f"{where}[{k!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for i, (x, y) in enumerate(zip(a, b)):
            _assert_same(x, y, f"{where}[{i}]")
    elif isinstance(a, mdl.Tensor):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(to_numpy(a), to_numpy(b))
    elif isinstance(a, (np.ndarray, np.generic)):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a, b)
    else:
        assert a == b, where


def test_round_trip_nested_structure(tmp_path, device):
    obj = _checkpoint(device)
    path = tmp_path / 'ckpt.npz'
    mdl.save(obj, path)
    back = mdl.load(path)
    _assert_same(obj, back)
    assert all(t.device == 'cpu' for t in back['model'].values())
    assert isinstance(back['model'], OrderedDict) and isinstance(back['misc'], tuple)
    assert list(back['model']) == ['fc2.weight', 'fc1.bias', 'bn.num_batches_tracked', 'mask']
    assert list(back['optimizer']['state']) == [0, 1]          # int keys stay ints
    on_device = mdl.load(str(path), device=device)
    assert on_device['model']['fc2.weight'].device == mdl.backend.canonical_device(device)
    assert isinstance(on_device['arrays'][0], np.ndarray)      # arrays stay NumPy arrays


def test_round_trip_dtypes_and_scalars(tmp_path):
    values = {name: np.arange(5).astype(name) for name in
              ('float16', 'float32', 'float64', 'int8', 'int32', 'int64', 'uint8', 'bool')}
    values['scalar_tensor'] = mdl.tensor(3.5)
    values['requires_grad'] = mdl.randn(2, requires_grad=True)
    values['rng'] = mdl.get_rng_state()
    mdl.save(values, tmp_path / 'x')
    back = mdl.load(tmp_path / 'x')
    for name in values:
        if name in ('scalar_tensor', 'requires_grad', 'rng'):
            continue
        assert back[name].dtype == np.dtype(name)
    assert back['scalar_tensor'].shape == () and back['scalar_tensor'].item() == 3.5
    assert back['requires_grad'].requires_grad
    mdl.set_rng_state(back['rng'])                 # the RNG state survives exactly
    a = mdl.rand(3).tolist()
    mdl.set_rng_state(values['rng'])
    assert mdl.rand(3).tolist() == a


def test_saves_exactly_at_path_without_leftovers(tmp_path):
    mdl.save({'a': 1}, tmp_path / 'model.ckpt')
    assert sorted(os.listdir(tmp_path)) == ['model.ckpt']
    assert mdl.load(tmp_path / 'model.ckpt') == {'a': 1}


def test_unsavable_object_is_refused_with_key_path(tmp_path):
    path = tmp_path / 'c.npz'
    with pytest.raises(TypeError, match=r"checkpoint\['model'\]\['fc.weight'\]: cannot save object "
                                        r"of type set"):
        mdl.save({'model': {'fc.weight': {1, 2}}}, path)
    with pytest.raises(TypeError, match=r"\[1\]: cannot save object of type function"):
        mdl.save([1, lambda: 0], path)
    with pytest.raises(TypeError, match='dtype object'):
        mdl.save({'x': np.array([object()])}, path)
    with pytest.raises(TypeError, match='key of type tuple'):
        mdl.save({(1, 2): 3}, path)
    assert not os.listdir(tmp_path)


# ------------------------------------------------------------------ atomic writes
def _write_old(path):
    mdl.save({'version': 'old', 'w': mdl.ones(3)}, path)
    return path.read_bytes()


@pytest.mark.parametrize('where', ['savez', 'fsync', 'replace'])
def test_crash_mid_save_keeps_previous_file(tmp_path, monkeypatch, where):
    path = tmp_path / 'ckpt.npz'
    old = _write_old(path)

    def boom(*args, **kwargs):
        raise OSError('simulated crash')

    target = {'savez': (io.numpy, 'savez'), 'fsync': (io.os, 'fsync'),
              'replace': (io.os, 'replace')}[where]
    monkeypatch.setattr(*target, boom)
    with pytest.raises(OSError, match='simulated crash'):
        mdl.save({'version': 'new', 'w': mdl.zeros(1000)}, path)
    monkeypatch.undo()
    assert path.read_bytes() == old
    assert os.listdir(tmp_path) == ['ckpt.npz']
    assert mdl.load(path)['version'] == 'old'


def test_keyboard_interrupt_mid_save_keeps_previous_file(tmp_path, monkeypatch):
    path = tmp_path / 'ckpt.npz'
    old = _write_old(path)
    real_savez = np.savez

    def interrupted(file, **arrays):
        real_savez(file, **arrays)
        raise KeyboardInterrupt

    monkeypatch.setattr(io.numpy, 'savez', interrupted)
    with pytest.raises(KeyboardInterrupt):
        mdl.save({'version': 'new'}, path)
    assert path.read_bytes() == old and os.listdir(tmp_path) == ['ckpt.npz']


# ------------------------------------------------------------------ bad files
def _rejects(path, match):
    before = path.read_bytes()
    with pytest.raises(io.FormatError, match=match) as info:
        mdl.load(path)
    assert str(path) in str(info.value)
    assert path.read_bytes() == before          # loading never touches the file


def test_truncated_file_is_rejected(tmp_path):
    path = tmp_path / 'ckpt.npz'
    mdl.save(_checkpoint(), path)
    data = path.read_bytes()
    for n in (len(data) // 2, len(data) - 10, 100):
        path.write_bytes(data[:n])
        _rejects(path, 'truncated or corrupted')
    path.write_bytes(b'')
    _rejects(path, 'empty')


def test_corrupted_bytes_are_rejected(tmp_path):
    path = tmp_path / 'ckpt.npz'
    mdl.save({'w': mdl.randn(50, 50), 'meta': {'epoch': 3}}, path)
    data = bytearray(path.read_bytes())
    # flip a byte inside the weight array's data and inside the JSON header: zip's CRC-32 notices
    for needle in (np.asarray(mdl.load(path)['w'].data)[10, 10].tobytes(), b'"epoch"'):
        i = bytes(data).index(needle)
        bad = bytearray(data)
        bad[i] ^= 0xFF
        path.write_bytes(bytes(bad))
        _rejects(path, 'truncated or corrupted')


def test_foreign_npz_is_rejected(tmp_path):
    path = tmp_path / 'plain.npz'
    np.savez(path, weights=np.ones(3))
    _rejects(path, "not a minidl file.*numpy.load")


def test_pickle_file_is_rejected_without_unpickling(tmp_path):
    path = tmp_path / 'model.pt'
    path.write_bytes(pickle.dumps({'w': [1.0, 2.0]}))
    _rejects(path, 'pickle')


def test_text_and_npy_files_are_rejected(tmp_path):
    path = tmp_path / 'notes.txt'
    path.write_text('hello, this is not a checkpoint\n')
    _rejects(path, 'not a .npz')
    npy = tmp_path / 'a.npy'
    np.save(npy, np.ones(3))
    _rejects(npy, '.npy')


def _rewrite(path, header=None, arrays=None):
    """Write a .npz with a hand-made header (to test the reader's checks)."""
    with np.load(path) as f:
        members = {k: f[k] for k in f.files}
    if header is not None:
        members[io.HEADER_KEY] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    members.update(arrays or {})
    with open(path, 'wb') as f:
        np.savez(f, **members)


def _header(path):
    with np.load(path) as f:
        return json.loads(f[io.HEADER_KEY].tobytes())


def test_newer_format_version_is_rejected(tmp_path):
    path = tmp_path / 'new.npz'
    mdl.save({'w': mdl.ones(2)}, path)
    header = _header(path)
    header['version'] = io.FORMAT_VERSION + 1
    _rewrite(path, header)
    _rejects(path, 'format version 2.*upgrade')


def test_header_array_mismatch_is_rejected(tmp_path):
    path = tmp_path / 'm.npz'
    mdl.save({'model': {'w': mdl.ones(2, 3)}}, path)
    _rewrite(path, arrays={'a0': np.ones((3, 2), dtype=np.float32)})
    _rejects(path, r"\['model'\]\['w'\].*shape")
    _rewrite(path, arrays={'a0': np.ones((2, 3), dtype=np.float64)})
    _rejects(path, r"\['model'\]\['w'\].*dtype")
    header = _header(path)
    header['root']['values'][0]['values'][0]['key'] = 'a7'
    _rewrite(path, header)
    _rejects(path, 'missing')


def test_load_never_allows_pickle(tmp_path, monkeypatch):
    path = tmp_path / 'c.npz'
    mdl.save(_checkpoint(), path)
    seen = []
    real_load = np.load

    def spy(*args, **kwargs):
        seen.append(kwargs.get('allow_pickle'))
        return real_load(*args, **kwargs)

    monkeypatch.setattr(io.numpy, 'load', spy)
    monkeypatch.setattr(pickle, 'loads', lambda *a, **k: pytest.fail('pickle.loads called'))
    monkeypatch.setattr(pickle, 'load', lambda *a, **k: pytest.fail('pickle.load called'))
    mdl.load(path)
    assert seen == [False]
    # an object array smuggled into a minidl file cannot be read back
    np.savez(tmp_path / 'evil.npz', **{io.HEADER_KEY: np.frombuffer(json.dumps(
        {'format': 'minidl', 'version': 1, 'root': {'type': 'ndarray', 'key': 'a0', 'shape': [1],
                                                    'dtype': '|O'}}).encode(), dtype=np.uint8),
        'a0': np.array([{'x': 1}], dtype=object)})
    with pytest.raises(io.FormatError):
        mdl.load(tmp_path / 'evil.npz')


def test_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        mdl.load(tmp_path / 'nope.npz')
