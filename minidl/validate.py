"""Argument rules and their messages, each in one place: a function or a layer checks an
argument in one line, ``validate.floating(where, 'input', x)``, and every message names where
the check failed, the argument, what was expected and what was given.

``where`` is the name of the function (``'cross_entropy'``) or the layer (``repr(self)``).
Each rule returns the value it checked (converted where that is its job, e.g. ``ints``), so a
check can sit inside an assignment.
"""
from . import backend
from .tensor import Tensor

_INT = backend.INTEGER_TYPES


def is_int(value):
    """True for a Python or NumPy integer that is not a bool."""
    return isinstance(value, _INT) and not isinstance(value, backend.BOOL_TYPES)


def tensor(where, name, value):
    """``value`` if it is a Tensor, else a TypeError (with a hint for arrays and lists)."""
    if not isinstance(value, Tensor):
        hint = f' (wrap it with mdl.tensor({name}))' if hasattr(value, 'shape') or isinstance(
            value, (list, tuple)) else ''
        raise TypeError(f"{where}: {name} must be a minidl Tensor, got "
                        f"{type(value).__module__}.{type(value).__name__}{hint}")
    return value


def floating(where, name, value):
    """``value`` if it is a floating-point Tensor."""
    tensor(where, name, value)
    if value.dtype.kind != 'f':
        raise TypeError(f"{where}: {name} must be a floating-point Tensor, got dtype "
                        f"{value.dtype} (convert it with {name}.float())")
    return value


def integer(where, name, value, minimum=None):
    """``value`` as an int, if it is an integer of at least ``minimum``."""
    if not is_int(value) or (minimum is not None and value < minimum):
        kind = {None: 'an int', 0: 'a non-negative int', 1: 'a positive int'}.get(
            minimum, f'an int >= {minimum}')
        raise ValueError(f"{where}: {name} must be {kind}, got {value!r}")
    return int(value)


def ints(where, name, value, n, minimum=None):
    """An int or a sequence of ``n`` ints (each at least ``minimum``) as an n-tuple of ints,
    as PyTorch's kernel_size, stride, padding and dilation arguments."""
    values = (value,) * n if is_int(value) else value
    if not isinstance(values, (tuple, list)) or len(values) != n or not all(
            is_int(v) and (minimum is None or v >= minimum) for v in values):
        kind = {None: 'int', 0: 'non-negative int', 1: 'positive int'}.get(minimum, 'int')
        raise ValueError(f"{where}: {name} must be a {kind} or a tuple of {n} {kind}s, got "
                         f"{value!r}")
    return tuple(int(v) for v in values)


def sizes(where, name, value, minimum=0):
    """An int or a sequence of ints (each at least ``minimum``) as a tuple of ints, as
    PyTorch's normalized_shape or unflattened_size."""
    values = (value,) if is_int(value) else value
    if not isinstance(values, (tuple, list)) or not all(
            is_int(v) and v >= minimum for v in values):
        raise ValueError(f"{where}: {name} must be an int or a tuple of ints >= {minimum}, got "
                         f"{value!r}")
    return tuple(int(v) for v in values)


def number(where, name, value, low=None, high=None):
    """``value`` as a float, if it is a real number in [low, high] (either bound optional)."""
    if isinstance(value, backend.BOOL_TYPES) or not isinstance(value, _INT + backend.FLOAT_TYPES) \
            or (low is not None and not value >= low) or (high is not None and not value <= high):
        bounds = f" in [{low}, {high}]" if low is not None and high is not None else (
            f" >= {low}" if low is not None else f" <= {high}" if high is not None else '')
        raise ValueError(f"{where}: {name} must be a number{bounds}, got {value!r}")
    return float(value)


def one_of(where, name, value, choices):
    """``value`` if it is one of ``choices``."""
    if value not in choices:
        listed = ', '.join(repr(c) for c in choices)
        raise ValueError(f"{where}: {name} must be one of {listed}, got {value!r}")
    return value


def reduction(where, value):
    """``value`` if it is one of a loss's reductions: 'mean', 'sum' or 'none'."""
    return one_of(where, 'reduction', value, ('mean', 'sum', 'none'))


def shape(where, name, value, expected):
    """``value`` (a Tensor) if its shape is ``expected``."""
    tensor(where, name, value)
    if tuple(value.shape) != tuple(expected):
        raise ValueError(f"{where}: {name} must have shape {tuple(expected)}, got "
                         f"{tuple(value.shape)}")
    return value


def like(where, name, value, reference, reference_name='input'):
    """``value`` (a Tensor or None) if it is on ``reference``'s device with its dtype."""
    if value is None:
        return value
    tensor(where, name, value)
    if value.device != reference.device:
        raise RuntimeError(f"{where}: {reference_name} is on {reference.device} but {name} is "
                           f"on {value.device}; move them to the same device")
    if value.dtype != reference.dtype:
        raise TypeError(f"{where}: {reference_name} has dtype {reference.dtype} but {name} has "
                        f"dtype {value.dtype}; they must match")
    return value


def rank(where, value, ndims, layout, channels=None, unbatched=None):
    """``value`` (a Tensor) if it has one of the ranks ``ndims`` and, with ``channels``, that
    many channels in dimension 1 (dimension 0 for an input of rank ``unbatched``, a single
    sample without its batch dimension). ``layout`` describes the accepted shapes, e.g.
    '(N, 3, H, W)'."""
    tensor(where, 'input', value)
    got = tuple(value.shape)
    if value.ndim not in ndims:
        ranks = ' or '.join(f'{n}-D' for n in ndims)
        hint = ''
        if channels == 1 and value.ndim == min(ndims) - 1:
            hint = '; for one-channel inputs add the channel dimension: x.unsqueeze(1)'
        raise ValueError(f"{where}: expected a {ranks} input of shape {layout}, got shape {got} "
                         f"({value.ndim}-D){hint}")
    axis = 0 if value.ndim == unbatched else 1
    if channels is not None and got[axis] != channels:
        hint = ''
        if channels == 1 and axis == 0:     # likely a batch of one-channel inputs (N, H, W)
            hint = '; for a batch of one-channel inputs add the channel dimension: x.unsqueeze(1)'
        raise ValueError(f"{where}: expected input of shape {layout} with {channels} channels "
                         f"in dimension {axis}, got shape {got} ({got[axis]} channels){hint}")
    return value
