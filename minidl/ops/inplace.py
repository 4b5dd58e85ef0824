"""In-place updates with PyTorch's rules: ``x.add_(y)``, ``x += y``, ``x[i] = v``, ``x.zero_()``.

Every update is one recipe. The new values are computed by the ordinary out-of-place operation,
checked (their shape must be the tensor's, their dtype must cast to it), and written into the
tensor's memory; then the version counter that the tensor shares with its views is bumped, so a
Function that saved the old values refuses to backward through them. When autograd must follow
the write (grad mode on and the tensor or the new values require grad) the tensor takes the new
values' history: the node that computed them, or, for a view, a node on its base
(``CopyIntoView``). Without a graph to record, arithmetic writes straight into the memory with
the array module's ``out=`` (no temporary).
"""
from .. import backend
from ..autograd import Function
from ..autograd.mode import is_grad_enabled
from ..tensor import Tensor, make
from .math import lift
from .promotion import result_type
from .subscript import GetItem, index_error, index_parts, is_basic_index


def check_writable(t):
    """Refuse a write that autograd could not follow: into a leaf that requires grad (or a view
    of one) while grad mode is on, as PyTorch refuses it."""
    if not (is_grad_enabled() and t.requires_grad):
        return
    if t.grad_fn is None:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place "
                           "operation (wrap the update in `with mdl.no_grad():`)")
    base = t._view.base if t._view is not None else None
    if base is not None and base.grad_fn is None and base.requires_grad:
        raise RuntimeError("a view of a leaf Variable that requires grad is being used in an "
                           "in-place operation (wrap the update in `with mdl.no_grad():`)")


def _recording(target, *others):
    """True when the write must be recorded: grad mode is on and something requires grad."""
    if not is_grad_enabled():
        return False
    view = target._view
    return target.requires_grad or (view is not None and view.base.requires_grad) or any(
        isinstance(o, Tensor) and o.requires_grad for o in others)


def update_(target, compute, reads_target=True):
    """target <- compute(target), in place; returns target. When the write is recorded and
    ``compute`` reads target's values, it reads a copy: the Function it calls may save its
    input for backward, and target's memory is about to change."""
    check_writable(target)
    source = target.clone() if reads_target and _recording(target) else target
    write(target, compute(source))
    return target


def write(target, result):
    """Write the values of ``result`` into ``target``'s memory and, when recording, give target
    the history of result."""
    if result.shape != target.shape:
        raise RuntimeError(f"output with shape {target.shape} doesn't match the broadcast shape "
                           f"{result.shape}")
    if result.dtype != target.dtype:
        _check_cast(result.dtype, target.dtype)
        result = result.to(dtype=target.dtype)
    if result.device != target.device:
        result = result.to(target.device)
    _assign(target.array, Ellipsis, result.array)
    target._version_counter.count += 1
    if _recording(target, result):
        rebase(target, result)


def _check_cast(source, dtype):
    if not backend.can_cast(source, dtype, 'same_kind'):
        raise RuntimeError(f"result type {source} can't be cast to the desired output type "
                           f"{dtype}")


def _check_overlap(array):
    """Refuse to write into memory that several elements share (an expand()ed tensor)."""
    if array.size > 1 and any(s == 0 and n > 1 for s, n in zip(array.strides, array.shape)):
        raise RuntimeError("unsupported operation: more than one element of the written-to "
                           "tensor refers to a single memory location (an expand()ed or "
                           "broadcast tensor). Please clone() the tensor before writing to it.")


def _assign(array, index, values):
    """array[index] = values, with errors in minidl's words."""
    _check_overlap(array)
    try:
        array[index] = values
    except ValueError:
        raise RuntimeError(f"cannot write values of shape {tuple(values.shape)} into the "
                           "indexed region: their shape does not broadcast to the region's"
                           ) from None


def _broadcasts(shape, target):
    """True when ``shape`` broadcasts to ``target`` (without changing it)."""
    return len(shape) <= len(target) and all(
        n in (1, m) for n, m in zip(reversed(shape), reversed(target)))


class CopyIntoView(Function):
    """The base with a view's region replaced by ``value``: base (B,), value (the view's shape)
    -> (B,). Gradients: the base gets gy with the region zeroed, value gets gy's region.
    ``written=True``: the values are already in the base's memory (an in-place write), so the
    forward returns the base's array as it is."""

    def __init__(self, view, written=False):
        self.view, self.written = view, written

    def forward(self, base, value):
        if self.written:
            return base
        out = base.copy()
        self.view.replay_array(out)[...] = value
        return out

    def backward(self, gy):
        region = self.view.replay(gy)
        zeros = make(backend.array_module(gy.array).zeros(region.shape, dtype=gy.dtype))
        return CopyIntoView(self.view)(gy, zeros), region


def rebase(target, result):
    """Make ``result``'s node the history of ``target``, whose memory now holds result's values.
    For a view, its base gets the new history (CopyIntoView) and the view is made again."""
    view = target._view
    if view is None:
        target.grad_fn, target._output_nr = result.grad_fn, result._output_nr
        target.requires_grad = result.requires_grad
        if result.grad_fn is not None and result.grad_fn.saves_output:
            result.grad_fn.saved_output_is(target)    # a later write into target is caught
        return
    base = view.base
    new = CopyIntoView(view, written=True)(base, result)
    base.grad_fn, base._output_nr, base.requires_grad = new.grad_fn, new._output_nr, True
    view.version = -1          # stale: refresh makes the view's node again from the new base
    view.refresh(target)


# ---------------------------------------------------------------- arithmetic: x.add_(y), x += y
def arithmetic_(ufunc, op):
    """The in-place form of a binary op (``ufunc`` names the array module's function). PyTorch
    refuses a result that cannot be cast back to the tensor's dtype (``int_tensor += 1.5``)."""
    def method(self, other):
        other = lift(other, self)
        if ufunc == 'subtract' and 'b' in (self.dtype.kind, other.dtype.kind):
            raise TypeError("sub_: a bool tensor cannot be subtracted, nor subtracted from (as in "
                            "PyTorch); to invert a mask use ~mask, or convert it with .long()")
        if _recording(self, other):
            return update_(self, lambda t: op(t, other), reads_target=op.__name__ not in (
                'add', 'sub'))
        xp = backend.array_module(self.array)
        dtype = result_type(self, other)
        if ufunc == 'true_divide' and dtype.kind != 'f':
            dtype = backend.dtype(backend.float32)
        _check_cast(dtype, self.dtype)
        if not _broadcasts(other.shape, self.shape):
            raise RuntimeError(f"output with shape {self.shape} doesn't match the broadcast "
                               f"shape of {self.shape} and {other.shape}")
        _check_overlap(self.array)
        getattr(xp, ufunc)(self.array, other.array.astype(dtype, copy=False), out=self.array,
                           casting='same_kind')
        self._version_counter.count += 1
        return self
    method.__name__ = op.__name__ + '_'
    method.__doc__ = f"self = {op.__name__}(self, other), in place; returns self."
    return method


def with_alpha(method):
    """add_/sub_ with PyTorch's ``alpha``: self += alpha * other."""
    def scaled(self, other, alpha=1):
        return method(self, other if alpha == 1 else lift(other, self) * alpha)
    scaled.__name__, scaled.__doc__ = method.__name__, method.__doc__[:-1] + \
        " (other scaled by alpha)."
    return scaled


def inplace_version(op, reads_target=True):
    """x.op_(*args): the in-place form of a unary op such as exp or clamp. ``reads_target=False``
    for an op whose backward reads only its output (exp, sigmoid, relu): no copy is kept."""
    def method(self, *args, **kwargs):
        return update_(self, lambda t: op(t, *args, **kwargs), reads_target)
    method.__name__ = op.__name__ + '_'
    method.__doc__ = f"self = {op.__name__}(self, ...), in place; returns self."
    return method


# ---------------------------------------------------------------- filling and copying
def fill_(self, value):
    """Fill with ``value`` (a number or a 0-d tensor), in place; returns self."""
    value = lift(value, self)
    if value.ndim != 0:
        raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with "
                           f"{value.ndim} dimensions.")
    return copy_(self, value)


def zero_(self):
    """Fill with zeros, in place; returns self."""
    return fill_(self, 0)


def copy_(self, src):
    """Copy the values of ``src`` (broadcast to self's shape, cast to its dtype, moved to its
    device) into self, in place; differentiable in src. Returns self."""
    src = lift(src, self)
    check_writable(self)
    if not _broadcasts(src.shape, self.shape):
        raise RuntimeError(f"copy_: the source of shape {tuple(src.shape)} does not broadcast to "
                           f"the destination's shape {tuple(self.shape)}")
    if not _recording(self, src):
        _assign(self.array, Ellipsis, backend.to_device(src.array, self.device))
        self._version_counter.count += 1
        return self
    return update_(self, lambda t: Overwrite()(t, src.to(t.device)), reads_target=False)


class Overwrite(Function):
    """src's values in target's shape and dtype (copy_): the gradient goes to src (summed back
    to its shape), none to target, whose values are gone; the result stays in the graph when
    target was (as PyTorch's fill_ and copy_)."""

    def forward(self, target, src):
        xp = backend.array_module(target)
        return xp.broadcast_to(src.astype(target.dtype, copy=False), target.shape).copy()

    def backward(self, gy):
        return None, gy


# ---------------------------------------------------------------- x[index] = value
class IndexPut(Function):
    """a with a[index] = v (advanced indexing; a copy): gradient gy with index zeroed to a,
    gy[index] to v."""

    def __init__(self, index):
        self.index = index

    def forward(self, a, v):
        out = a.copy()
        out[self.index] = v
        return out

    def backward(self, gy):
        zeros = make(backend.array_module(gy.array).zeros((), dtype=gy.dtype))
        return IndexPut(self.index)(gy, zeros), GetItem(self.index)(gy)


def setitem(self, index, value):
    """self[index] = value (ints, slices, masks, index tensors), in place, with PyTorch's rules:
    the value broadcasts to the indexed region and is cast to self's dtype; differentiable in
    both (the overwritten positions get no gradient)."""
    check_writable(self)
    tensor_value = isinstance(value, Tensor)
    value = lift(value, self)
    target, raw = index_parts(self, index)      # PyTorch's indexing rules
    if tensor_value and value.dtype != self.dtype and _integer_arrays(raw):
        raise TypeError(f"x[index] = value with integer index tensors needs a value of x's "
                        f"dtype {self.dtype}, got {value.dtype} (as PyTorch; convert it with "
                        ".to(x.dtype))")
    try:
        _setitem(target, raw, value)
    except IndexError as exc:
        raise index_error(exc, self.shape) from None


def _integer_arrays(raw):
    """True when a raw index holds integer index arrays (not only masks and basic parts)."""
    return any(getattr(p, 'dtype', None) is not None and p.dtype.kind in 'iu' and p.ndim
               for p in (raw if isinstance(raw, tuple) else (raw,)))


def _setitem(self, raw, value):
    if not _recording(self, value):
        _assign(self.array, raw, backend.to_device(value.array, self.device))
        self._version_counter.count += 1
        return
    value = value.to(dtype=self.dtype) if value.dtype != self.dtype else value
    if is_basic_index(raw):
        region = GetItem(raw)(self)
        while value.ndim > region.ndim and value.shape[0] == 1:     # as NumPy: x[0] = (1, n)
            value = value.squeeze(0)
        write(region, value.broadcast_to(region.shape))
    else:
        write(self, IndexPut(raw)(self, value))
