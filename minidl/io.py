"""Save and load state_dicts and training checkpoints as ``.npz`` files that can never run code.

    mdl.save({'model': model.state_dict(), 'optimizer': opt.state_dict(), 'epoch': 3}, 'ckpt.npz')
    ckpt = mdl.load('ckpt.npz', device='cuda')

What can be saved: nested dicts (str, int or bool keys; order kept), lists and tuples of Tensors
(from any device), NumPy arrays and scalars, Python numbers (ints of any size), strings, bools and
None.

File format (version 1): a NumPy ``.npz`` (zip) archive. Every array is a member ``a0``, ``a1``,
...; the member ``__minidl_header__`` holds UTF-8 JSON bytes (a uint8 array):
``{"format": "minidl", "version": 1, "root": NODE}``. A NODE is a JSON null/bool/number/string for
the same Python leaf, or an object with a "type": "dict" (``keys``, ``values``), "list" / "tuple"
(``items``) or "tensor" / "ndarray" / "npscalar" (``key`` of the member, ``shape``, ``dtype``;
tensors also ``requires_grad``). Reading uses ``numpy.load(allow_pickle=False)`` and checks every
array against the header. Writes are atomic: a temporary file in the same directory, fsync'ed,
then renamed over the target, so a crash leaves the previous file intact.
"""
import json
import os
import tempfile
from collections import OrderedDict

import numpy

from . import backend
from .tensor import Tensor, make

FORMAT_NAME = 'minidl'
FORMAT_VERSION = 1
HEADER_KEY = '__minidl_header__'
_ARRAY_KINDS = 'biufc'   # bool, integers, floats, complex: dtypes .npy stores without pickle


class FormatError(ValueError):
    """A file that is not a readable minidl file: foreign, corrupted, truncated or too new."""


def _path_str(path):
    return os.fspath(path)


# ------------------------------------------------------------------ encoding
def _encode(obj, where, arrays):
    """The JSON node for ``obj``; arrays are appended to ``arrays`` and referenced by key."""
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, Tensor):
        return _encode_array(backend.to_numpy(obj.array), 'tensor', where, arrays,
                             requires_grad=bool(obj.requires_grad))
    if isinstance(obj, numpy.generic):
        return _encode_array(numpy.asarray(obj), 'npscalar', where, arrays)
    if isinstance(obj, numpy.ndarray) or hasattr(obj, '__cuda_array_interface__'):
        return _encode_array(backend.to_numpy(obj), 'ndarray', where, arrays)
    if isinstance(obj, int):
        return int(obj)
    if isinstance(obj, float):
        return float(obj)
    if isinstance(obj, dict):
        keys = list(obj.keys())
        for k in keys:
            if not isinstance(k, (str, int)):   # bool is an int
                raise TypeError(f"{where}: cannot save a dict key of type {type(k).__name__} "
                                f"({k!r}); keys must be str, int or bool")
        return {'type': 'odict' if isinstance(obj, OrderedDict) else 'dict', 'keys': keys,
                'values': [_encode(obj[k], f"{where}[{k!r}]", arrays) for k in keys]}
    if isinstance(obj, (list, tuple)):
        return {'type': 'tuple' if isinstance(obj, tuple) else 'list',
                'items': [_encode(v, f"{where}[{i}]", arrays) for i, v in enumerate(obj)]}
    hint = (" (save its state_dict(): mdl.save(model.state_dict(), path))"
            if hasattr(obj, 'state_dict') else '')
    raise TypeError(f"{where}: cannot save object of type {type(obj).__name__}{hint}; minidl files "
                    "hold Tensors, NumPy arrays, numbers, strings, bools, None and "
                    "dicts/lists/tuples of them")


def _encode_array(array, kind, where, arrays, **extra):
    if array.dtype.kind not in _ARRAY_KINDS:
        raise TypeError(f"{where}: cannot save an array of dtype {array.dtype}; only bool, integer, "
                        "floating-point and complex arrays can be stored without pickle")
    key = f'a{len(arrays)}'
    arrays.append((key, array))
    return {'type': kind, 'key': key, 'shape': list(array.shape), 'dtype': array.dtype.str, **extra}


def save(obj, path):
    """Write ``obj`` (a state_dict or a nested checkpoint) to ``path`` atomically.

    ``path`` is used exactly as given (no extension is added). Tensors are saved from any device.
    An unsupported object raises TypeError naming its key path, e.g.
    ``checkpoint['model']['fc.weight']: cannot save object of type set``, and nothing is written.
    """
    path = _path_str(path)
    arrays = []
    header = {'format': FORMAT_NAME, 'version': FORMAT_VERSION,
              'root': _encode(obj, 'checkpoint', arrays)}
    header_bytes = json.dumps(header, allow_nan=True).encode('utf-8')
    members = {HEADER_KEY: numpy.frombuffer(header_bytes, dtype=numpy.uint8)}
    members.update(arrays)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix='.' + os.path.basename(path) + '.',
                               suffix='.tmp')
    try:
        _ordinary_permissions(fd)
        with os.fdopen(fd, 'wb') as f:
            numpy.savez(f, **members)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _fsync_directory(directory)


def _ordinary_permissions(fd):
    # mkstemp creates files readable by their owner only; give the file the permissions an
    # ordinary open() would (0o666 minus the umask).
    if hasattr(os, 'fchmod'):
        mask = os.umask(0)
        os.umask(mask)
        os.fchmod(fd, 0o666 & ~mask)


def _fsync_directory(directory):
    # Makes the rename itself durable; not possible on every platform (e.g. Windows), so optional.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# ------------------------------------------------------------------ decoding
def _sniff(path):
    """A reason why ``path`` is not a zip archive (pickle, text, ...), or None if it is one."""
    with open(path, 'rb') as f:
        head = f.read(8)
    if head.startswith(b'PK\x03\x04') or head.startswith(b'PK\x05\x06'):
        return None
    if not head:
        return "the file is empty"
    if head[:1] == b'\x80' or head[:1] in (b'(', b']', b'}'):
        return "it looks like a Python pickle, which minidl never loads (pickles can run code)"
    if head.startswith(b'\x93NUMPY'):
        return "it is a single .npy array, not a minidl .npz archive"
    return "it is not a .npz (zip) archive"


def load(path, device=None):
    """Read an object written by ``save``; Tensors are placed on ``device`` (default 'cpu').

    NumPy arrays stay NumPy arrays; dict key order, tuples and lists are restored. Raises
    FileNotFoundError for a missing file and ``minidl.io.FormatError`` (a ValueError) naming the
    path for a foreign, truncated or corrupted file or one from a newer format version.
    """
    path = _path_str(path)
    device = backend.canonical_device(device or 'cpu')
    reason = _sniff(path)
    if reason is not None:
        raise FormatError(f"{path!r} is not a minidl file: {reason}")
    try:
        with numpy.load(path, allow_pickle=False) as archive:
            names = set(archive.files)
            if HEADER_KEY not in names:
                if not any(n.endswith('.npy') or '/' not in n for n in names) or any(
                        n.endswith('data.pkl') for n in names):
                    raise FormatError(f"{path!r} is not a minidl file: it looks like a PyTorch "
                                      "(torch.save) or other pickle-based zip checkpoint, which "
                                      "minidl never unpickles")
                raise FormatError(f"{path!r} is a .npz archive but not a minidl file (it has no "
                                  f"'{HEADER_KEY}' member); read it with numpy.load")
            header = _read_header(path, archive[HEADER_KEY])
            arrays = {}
            root = _decode(header['root'], 'checkpoint', path, archive, names, arrays, device)
    except (FormatError, FileNotFoundError, PermissionError):
        raise
    except Exception as exc:   # BadZipFile, zlib.error, EOFError, ValueError, NotImplementedError...
        raise FormatError(f"{path!r} is truncated or corrupted ({type(exc).__name__}: {exc})") \
            from exc
    unused = sorted(names - {HEADER_KEY} - set(arrays))
    if unused:
        raise FormatError(f"{path!r}: header and arrays do not match: arrays {unused} are not "
                          "referenced by the header (corrupted file?)")
    return root


def _read_header(path, raw):
    if raw.dtype != numpy.uint8 or raw.ndim != 1:
        raise FormatError(f"{path!r}: the '{HEADER_KEY}' member is not a JSON byte string")
    try:
        header = json.loads(raw.tobytes().decode('utf-8'))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FormatError(f"{path!r}: the header is corrupted ({exc})") from exc
    if not isinstance(header, dict) or header.get('format') != FORMAT_NAME or 'root' not in header:
        raise FormatError(f"{path!r}: the header does not describe a minidl file")
    version = header.get('version')
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise FormatError(f"{path!r}: invalid format version {version!r} in the header")
    if version > FORMAT_VERSION:
        raise FormatError(f"{path!r} was written in minidl format version {version}, but this "
                          f"minidl reads versions up to {FORMAT_VERSION}; upgrade minidl")
    return header


def _decode(node, where, path, archive, names, arrays, device):
    if node is None or isinstance(node, (bool, int, float, str)):
        return node
    if isinstance(node, list) or not isinstance(node, dict):
        raise FormatError(f"{path!r}: invalid header entry at {where}: {node!r}")
    kind = node.get('type')
    if kind in ('dict', 'odict'):
        keys, values = node.get('keys'), node.get('values')
        if not isinstance(keys, list) or not isinstance(values, list) or len(keys) != len(values):
            raise FormatError(f"{path!r}: invalid dict entry in the header at {where}")
        out = OrderedDict() if kind == 'odict' else {}
        for k, v in zip(keys, values):
            if not isinstance(k, (str, int)):
                raise FormatError(f"{path!r}: invalid dict key {k!r} in the header at {where}")
            out[k] = _decode(v, f"{where}[{k!r}]", path, archive, names, arrays, device)
        return out
    if kind in ('list', 'tuple'):
        items = node.get('items')
        if not isinstance(items, list):
            raise FormatError(f"{path!r}: invalid {kind} entry in the header at {where}")
        out = [_decode(v, f"{where}[{i}]", path, archive, names, arrays, device)
               for i, v in enumerate(items)]
        return tuple(out) if kind == 'tuple' else out
    if kind in ('tensor', 'ndarray', 'npscalar'):
        array = _read_array(node, where, path, archive, names, arrays)
        if kind == 'npscalar':
            return array[()]
        if kind == 'ndarray':
            return array
        t = make(backend.to_device(array, device))
        if node.get('requires_grad') and t.dtype.kind == 'f':
            t.requires_grad = True
        return t
    raise FormatError(f"{path!r}: unknown entry type {kind!r} in the header at {where}")


def _read_array(node, where, path, archive, names, arrays):
    key = node.get('key')
    if not isinstance(key, str) or key not in names or key == HEADER_KEY:
        raise FormatError(f"{path!r}: header and arrays do not match at {where}: array "
                          f"{key!r} is missing from the archive")
    if key in arrays:
        raise FormatError(f"{path!r}: header references array {key!r} twice (at {where})")
    array = archive[key]
    arrays[key] = True
    shape, dtype = node.get('shape'), node.get('dtype')
    if not isinstance(shape, list) or list(array.shape) != shape:
        raise FormatError(f"{path!r}: header and arrays do not match at {where}: the header says "
                          f"shape {shape}, array {key!r} has shape {list(array.shape)}")
    try:
        if not isinstance(dtype, str):
            raise TypeError(dtype)
        expected = numpy.dtype(dtype)
    except TypeError as exc:
        raise FormatError(f"{path!r}: invalid dtype {dtype!r} in the header at {where}") from exc
    if array.dtype != expected:
        raise FormatError(f"{path!r}: header and arrays do not match at {where}: the header says "
                          f"dtype {expected}, array {key!r} has dtype {array.dtype}")
    return array
