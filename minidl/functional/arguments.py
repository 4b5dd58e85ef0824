"""Argument checks of the window ops (convolution and pooling): ints or int tuples, positive
values, a cache for the checks a layer repeats every step, and convolution's whole parse.

Every error names the op, the argument and the value it got.
"""
import functools

from ..tensor import Tensor


def int_tuple(value, n, name, op):
    """An int or a sequence of n ints as an n-tuple of ints."""
    values = (value,) * n if isinstance(value, int) else value
    if isinstance(value, bool) or not isinstance(values, (tuple, list)) or len(values) != n \
            or not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        raise ValueError(f"{op}: {name} must be an int or a tuple of {n} ints, got {value!r}")
    return tuple(int(v) for v in values)


def positive(values, name, op):
    """``values`` (a tuple) when all are positive, else a ValueError naming the argument."""
    if any(v <= 0 for v in values):
        shown = values if len(values) > 1 else values[0]
        raise ValueError(f"{op}: {name} must be positive, got {name}={shown}")
    return values


def unbatched(dims):
    """A decorator: the window op ``op(input, ...)`` also takes one sample without its batch
    dimension, (C, L) or (C, H, W), as PyTorch's do: it runs on a batch of one, removed again
    from the result (from each result, for several)."""
    def wrap(op):
        @functools.wraps(op)
        def call(input, *args, **kwargs):
            if not isinstance(input, Tensor) or input.ndim != dims + 1:
                return op(input, *args, **kwargs)
            out = op(input.unsqueeze(0), *args, **kwargs)
            return tuple(o.squeeze(0) for o in out) if isinstance(out, tuple) else out.squeeze(0)
        return call
    return wrap


def rank_error(op, what, x, dims):
    """The error for an input of the wrong rank: batched (N, C, ...) or unbatched (C, ...)."""
    spatial = ', '.join(('H', 'W')[2 - dims:]) if dims == 2 else 'L'
    return ValueError(f"{op}: expected a {dims + 2}-D {what} (N, C, {spatial}) or a {dims + 1}-D "
                      f"unbatched one (C, {spatial}), got {what} of shape {tuple(x.shape)}")


_KEY_TYPES = (int, bool, str, type(None))


def checked_once(check):
    """``check``, a pure function of its arguments, behind a cache: a layer calls with the same
    arguments every step, so they are checked once. As cache keys 1 == 1.0 == True, so only
    exact ints, bools, strings, None (told apart by type) and tuples of exact ints are looked
    up; anything else (a list, a float, a tuple holding True or a NumPy int) is checked afresh
    every call, which accepts or rejects it as the check says."""
    cached = functools.lru_cache(maxsize=256, typed=True)(check)

    @functools.wraps(check)
    def call(*args):
        for value in args:
            kind = type(value)
            if kind not in _KEY_TYPES and not (
                    kind is tuple and all(type(v) is int for v in value)):
                return check(*args)
        return cached(*args)
    return call


# ---------------------------------------------------------------- convolution
def parse_conv(op, x, w, b, stride, padding, dilation, groups, dims, transposed=False):
    """Check a convolution's tensors and arguments; return 2-D parameters (stride,
    (top, bottom, left, right) padding, dilation). ``dims``: 1 or 2 spatial dimensions;
    ``transposed``: the weight is (C_in, C_out/groups, ...) and padding may not be 'same'."""
    _check_tensors(op, x, w, b, dims)
    return _conv_arguments(op, x.shape, w.shape, None if b is None else b.shape, stride,
                           padding, dilation, groups, dims, transposed)


def _check_tensors(op, x, w, b, dims):
    """Types, ranks, devices and dtypes of input, weight and bias."""
    spatial = ('H', 'W')[2 - dims:]
    for name, t in (('input', x), ('weight', w), ('bias', b)):
        if t is not None and not isinstance(t, Tensor):
            raise TypeError(f"{op}: {name} must be a Tensor, got {type(t).__name__}")
    if x.ndim != dims + 2:
        raise rank_error(op, 'input', x, dims)
    if w.ndim != dims + 2:
        raise ValueError(f"{op}: expected a {dims + 2}-D weight (out_channels, in_channels/groups"
                         f", {', '.join('K' + s for s in spatial)}), got weight of shape {w.shape}")
    for name, t in (('weight', w), ('bias', b)):
        if t is None:
            continue
        if t.device != x.device:
            raise RuntimeError(f"{op}: input is on {x.device} but {name} is on {t.device}; "
                               "move them to the same device")
        if t.dtype != x.dtype:
            raise TypeError(f"{op}: input has dtype {x.dtype} but {name} has dtype {t.dtype}; "
                            "they must match")
    if x.dtype.kind != 'f':
        raise TypeError(f"{op}: expected a floating-point input, got dtype {x.dtype}")


@checked_once
def _conv_arguments(op, x_shape, w_shape, b_shape, stride, padding, dilation, groups, dims,
                    transposed):
    """parse_conv's checks of everything but the tensors themselves."""
    stride = positive(int_tuple(stride, dims, 'stride', op), 'stride', op)
    dilation = positive(int_tuple(dilation, dims, 'dilation', op), 'dilation', op)
    kernel = positive(tuple(w_shape[2:]), 'kernel size', op)
    _check_channels(op, x_shape, w_shape, b_shape, groups, transposed)
    if padding == 'same' and not transposed:
        return stride, _same_padding(op, stride, dilation, kernel, dims), dilation
    if isinstance(padding, str) and padding != 'valid':
        choices = "'valid'" if transposed else "'valid', 'same'"
        raise ValueError(f"{op}: invalid padding string {padding!r}, should be one of "
                         f"{{{choices}}}")
    padding = int_tuple(0 if padding == 'valid' else padding, dims, 'padding', op)
    if any(p < 0 for p in padding):
        raise ValueError(f"{op}: padding must be non-negative, got padding={padding}")
    spatial = tuple(x_shape[2:])
    dilated = tuple(d * (k - 1) + 1 for d, k in zip(dilation, kernel))
    padded = tuple(n + 2 * p for n, p in zip(spatial, padding))
    if not transposed and any(k > n for k, n in zip(dilated, padded)):
        raise ValueError(f"{op}: kernel size {kernel} (dilated: {dilated}) is larger than the "
                         f"padded input size {padded} (input {spatial}, padding {padding})")
    return stride, _four([(p, p) for p in padding], dims), dilation


def _check_channels(op, x_shape, w_shape, b_shape, groups, transposed):
    """groups, the input's channels and the bias's shape against the weight's shape."""
    if isinstance(groups, bool) or not isinstance(groups, int) or groups <= 0:
        raise ValueError(f"{op}: groups must be a positive int, got groups={groups!r}")
    cin, cout = w_shape[1] * groups, w_shape[0]
    if transposed:       # the weight of a transposed convolution is (C_in, C_out/groups, ...)
        cin, cout = cout, cin
    if x_shape[1] % groups:
        raise ValueError(f"{op}: groups={groups} must divide in_channels={x_shape[1]}")
    if cout % groups:
        raise ValueError(f"{op}: groups={groups} must divide out_channels={cout} (weight of "
                         f"shape {w_shape})")
    if x_shape[1] != cin:
        raise ValueError(f"{op}: weight of shape {w_shape} with groups={groups} expects input "
                         f"with {cin} channels, got input of shape {x_shape} ({x_shape[1]} "
                         "channels)")
    if cout == 0:
        raise ValueError(f"{op}: weight of shape {w_shape} has no output channels")
    if b_shape is not None and b_shape != (cout,):
        raise ValueError(f"{op}: expected bias of shape ({cout},), got {b_shape}")


def _same_padding(op, stride, dilation, kernel, dims):
    """padding='same' as (top, bottom, left, right), by PyTorch's rule: a total of
    dilation*(kernel-1) per dimension, the odd pixel at the bottom (right)."""
    if any(s != 1 for s in stride):
        raise ValueError(f"{op}: padding='same' is not supported for strided convolutions "
                         f"(stride={stride})")
    totals = [d * (k - 1) for d, k in zip(dilation, kernel)]
    return _four([(t // 2, t - t // 2) for t in totals], dims)


def _four(pads, dims):
    """Per-dimension (before, after) pads as (top, bottom, left, right) of a 2-D convolution."""
    return ((0, 0) + pads[0]) if dims == 1 else pads[0] + pads[1]
