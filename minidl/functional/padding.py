"""pad, as torch.nn.functional.pad: constant padding (minidl.pad) and the modes 'reflect',
'replicate' and 'circular', which fill the border from the input itself.

Each of those modes is indexing. Along a padded dimension of size n, output position i (from
-before to n + after - 1) reads input position index(i): reflected about the edge without
repeating it ('reflect': -1 reads 1), clamped to the edge ('replicate': -1 reads 0), or wrapped
around ('circular': -1 reads n - 1). So the gradient is exact: each input element collects the
gradients of the outputs that read it. Convolution layers' padding_mode pads this way.
"""
from .. import ops, validate

__all__ = ['pad']

_MODES = ('constant', 'reflect', 'replicate', 'circular')


def _source_index(n, before, after, mode, xp):
    """The input position that each of the n + before + after output positions reads."""
    i = xp.arange(-before, n + after)
    if mode == 'replicate':
        return xp.clip(i, 0, n - 1)
    if mode == 'circular':
        return i % n
    i = xp.abs(i)                                   # reflect about the first element ...
    return xp.where(i >= n, 2 * (n - 1) - i, i)     # ... and about the last


def _widths(input, pad, mode):
    """[(axis, before, after)] from PyTorch's (last_before, last_after, previous_before, ...),
    checked against the rules of the non-constant modes."""
    pad = tuple(validate.integer('pad', 'pad', p, minimum=0) for p in pad)
    dims = len(pad) // 2
    if len(pad) % 2 or dims not in (1, 2, 3) or input.ndim not in (dims + 1, dims + 2):
        raise ValueError(f"pad: mode {mode!r} pads the last 1, 2 or 3 dimensions of an input "
                         f"with one or two more dimensions (batch, channels), given as 2, 4 or "
                         f"6 widths; got {len(pad)} widths for an input of shape "
                         f"{tuple(input.shape)}")
    # as PyTorch: reflect and replicate need elements in every dimension but the batch
    if mode != 'circular' and 0 in input.shape[input.ndim - dims - 1:]:
        raise ValueError(f"pad: mode {mode!r} needs an input with no empty dimension besides "
                         f"the batch, got shape {tuple(input.shape)}")
    widths = []
    for k in range(dims):
        axis, before, after = input.ndim - 1 - k, pad[2 * k], pad[2 * k + 1]
        n = input.shape[axis]
        limit = n - 1 if mode == 'reflect' else (n if mode == 'circular' else None)
        if limit is not None and max(before, after) > limit:
            raise ValueError(f"pad: mode {mode!r} needs widths of at most {limit} for dimension "
                             f"{axis} of size {n} (input of shape {tuple(input.shape)}), got "
                             f"({before}, {after})")
        widths.append((axis, before, after))
    return widths


def pad(input, pad, mode='constant', value=None):
    """input padded by ``pad`` = (before, after) for the last dimension, then for the one
    before it, and so on. mode 'constant' fills with ``value`` (0 by default) and pads any
    dimensions; 'reflect', 'replicate' and 'circular' pad the last 1, 2 or 3 dimensions of a
    (N, C, *) or (C, *) input from its own values (reflect: widths below the size; circular:
    at most the size)."""
    validate.tensor('pad', 'input', input)
    validate.one_of('pad', 'mode', mode, _MODES)
    if mode == 'constant':
        return ops.pad(input, pad, value=0.0 if value is None else value)
    if value is not None and value != 0:
        raise ValueError(f"pad: mode {mode!r} takes no value argument, got value={value!r}")
    out, xp = input, input._xp()
    for axis, before, after in _widths(input, pad, mode):
        if before or after:
            index = _source_index(input.shape[axis], before, after, mode, xp)
            out = out[(slice(None),) * axis + (index,)]
    return out if out is not input else out.clone()
