"""summary(model, input_shape): a Keras-style table of layers, output shapes and parameters."""
from .. import backend
from ..autograd import no_grad
from ..tensor import Tensor, make
from .module import Module


def _is_unbuilt(module):
    return getattr(module, 'built', True) is False


def _where(model, device, dtype):
    """The device and dtype of the dry-run input: given, else the first layer's input_dtype
    (int64 for an Embedding), else the model's float dtype."""
    tensors = [t for t in list(model.parameters()) + list(model.buffers())]
    floats = [t for t in tensors if t.dtype.kind == 'f']
    hints = [m for m in model.modules() if _is_unbuilt(m)]
    if device is None:
        device = (tensors[0].device if tensors else
                  next((m._device for m in hints if getattr(m, '_device', None)), None)
                  or backend.default_device())
    if dtype is None:        # a model that starts with an Embedding takes int64 indices
        first = next((m for m in model.modules() if next(m.children(), None) is None), None)
        dtype = getattr(first, 'input_dtype', None)
    if dtype is None:
        dtype = (floats[0].dtype if floats else
                 next((m._dtype for m in hints if getattr(m, '_dtype', None)), None)
                 or backend.float32)
    return backend.canonical_device(device), backend.dtype(dtype)


def _shapes(input_shape):
    """A list of per-input shapes (without the batch) from (C, H, W) or [(C, H, W), (D,)]."""
    shapes = [input_shape] if all(isinstance(d, backend.INTEGER_TYPES) for d in input_shape) \
        else list(input_shape)
    for shape in shapes:
        if not isinstance(shape, (tuple, list)) or not all(
                isinstance(d, backend.INTEGER_TYPES) and d >= 0 for d in shape):
            raise ValueError(f"summary: input_shape must be a tuple of non-negative ints without "
                             f"the batch dimension, e.g. (1, 8, 8), or a list of such tuples; "
                             f"got {input_shape!r}")
    return [tuple(int(d) for d in shape) for shape in shapes]


def _describe(output, batch):
    """'(None, 16, 8, 8)' for a Tensor (the batch dimension shown as None)."""
    if isinstance(output, Tensor):
        dims = list(output.shape)
        if dims and dims[0] == batch:
            dims[0] = None
        return str(tuple(dims))
    if isinstance(output, (tuple, list)):
        return '[' + ', '.join(_describe(o, batch) for o in output) + ']'
    return type(output).__name__


def _dry_run(model, input_shape, batch_size, device, dtype):
    """Run the model once under no_grad in eval mode on zeros; returns {id(module): shape}."""
    with backend.on(device) as xp:
        inputs = [make(xp.zeros((batch_size,) + shape, dtype=dtype))
                  for shape in _shapes(input_shape)]
    shapes, handles = {}, []

    def record(module, args, output):
        shapes.setdefault(id(module), _describe(output, batch_size))

    modes = [(m, m.training) for m in model.modules()]
    for m in model.modules():
        handles.append(m.register_forward_hook(record))
    try:
        model.eval()          # no dropout, BatchNorm running stats untouched
        with no_grad():
            model(*inputs)
    except Exception as exc:
        if hasattr(exc, 'add_note'):
            exc.add_note(f"(raised during summary()'s dry run on zeros of shape "
                         f"{', '.join(str(tuple(x.shape)) for x in inputs)})")
        raise
    finally:
        for handle in handles:
            handle.remove()
        for m, mode in modes:
            object.__setattr__(m, 'training', mode)
    return shapes


def summary(model, input_shape=None, batch_size=2, device=None, dtype=None, print_fn=print):
    """Print a table (as Keras, returning None): one row per layer (leaf module, dotted name and
    type), its output shape (batch shown as None) and its number of parameters, then the totals.
    ``print_fn=None`` returns the table, a str, instead of printing it; any other callable is
    given the table once.

    input_shape: the shape of one sample without the batch, e.g. (1, 8, 8) (a list of shapes for
    a model with several inputs). With it the model runs once on ``batch_size`` zeros under
    no_grad in eval mode (its train/eval modes are restored afterwards), which also builds lazy
    layers such as Dense(10); without it (and if no earlier call gave one) the output shapes
    are shown as '?', with a line saying how to get them, and a model with unbuilt lazy layers
    is an error. Counts are of parameters (buffers such as BatchNorm's running statistics are
    not counted); a shared parameter is counted once in the totals.
    """
    if not isinstance(model, Module):
        raise TypeError(f"summary expects a Module, got {type(model).__name__}")
    if input_shape is None:
        unbuilt = [m for m in model.modules() if _is_unbuilt(m)]
        if unbuilt:
            raise ValueError(
                f"summary: {unbuilt[0]!r} creates its parameters on its first call, so the model "
                "is not built yet: pass input_shape, the shape of one sample without the batch "
                "dimension, e.g. model.summary((1, 8, 8)) for one-channel 8x8 images")
        input_shape = getattr(model, '_summary_input_shape', None)   # the last one used
    if input_shape is None:
        shapes = {}
    else:
        device, dtype = _where(model, device, dtype)
        try:
            shapes = _dry_run(model, input_shape, batch_size, device, dtype)
        except ValueError as exc:
            first = _shapes(input_shape)[0]
            if len(first) > 1 and first[0] == batch_size or len(first) >= 4:
                raise ValueError(f"summary: input_shape {tuple(input_shape)} failed ({exc}); "
                                 "input_shape is one sample's shape WITHOUT the batch "
                                 f"dimension, e.g. {first[1:]}") from exc
            raise
        object.__setattr__(model, '_summary_input_shape', input_shape)
    rows = _rows(model, shapes, '?' if input_shape is None else '-')
    total = Module.num_parameters(model)
    trainable = Module.num_parameters(model, trainable_only=True)
    table = _format(type(model).__name__, rows, total, trainable)
    if input_shape is None:
        table += ("\nOutput shapes '?': pass input_shape, one sample's shape without the "
                  f"batch,\ne.g. model.summary({_shape_hint(model)})")
    if print_fn is None:
        return SummaryTable(table)
    print_fn(table)
    return None


def _rows(model, shapes, unknown):
    """(label, output shape, parameter count) per layer: each leaf module, and each container
    that owns parameters itself; ``unknown`` stands for a shape the dry run did not see."""
    rows = []
    for name, module in model.named_modules():
        has_children = any(True for _ in module.children())
        own = sum(p.numel() for p in module.parameters(recurse=False))
        if has_children and not own:
            continue              # a container: its layers get their own rows
        label = f"{name} ({type(module).__name__})" if name else type(module).__name__
        # Module's method by name: PReLU's num_parameters attribute (PyTorch's) hides it
        count = own if has_children else Module.num_parameters(module)
        rows.append((label, shapes.get(id(module), unknown), f"{count:,}"))
    return rows


def _shape_hint(model):
    """An example input_shape for ``model`` from its first layer: '(3, H, W)' for a Conv2d with 3
    input channels, '(20,)' for a Dense with 20 input features."""
    first = next((m for m in model.modules() if next(m.children(), None) is None), None)
    channels, features = getattr(first, 'in_channels', None), getattr(first, 'in_features', None)
    dims = _SPATIAL.get(type(first).__name__[-2:])
    if isinstance(channels, int) and dims:
        return f"({channels}, {dims})"
    if isinstance(features, int):
        return f"({features},)"
    return "(1, 28, 28) for one-channel 28x28 images"


_SPATIAL = {'1d': 'L', '2d': 'H, W', '3d': 'D, H, W'}


class SummaryTable(str):
    """The table that ``summary(print_fn=None)`` returns: a str that a REPL or notebook shows
    as the table itself, not as a quoted string."""
    def __repr__(self):
        return str(self)


def _format(title, rows, total, trainable):
    header = ('Layer (type)', 'Output Shape', 'Param #')
    widths = [max([len(header[i])] + [len(r[i]) for r in rows]) for i in range(3)]
    widths = [max(widths[0], 28), max(widths[1], 25), max(widths[2], 10)]

    def line(cells):
        return ' ' + cells[0].ljust(widths[0]) + '  ' + cells[1].ljust(widths[1]) + '  ' + \
            cells[2].rjust(widths[2])

    width = sum(widths) + 5
    out = [f'Model: "{title}"', '_' * width, line(header), '=' * width]
    out += [line(r) for r in rows]
    out += ['=' * width, f"Total params: {total:,}", f"Trainable params: {trainable:,}",
            f"Non-trainable params: {total - trainable:,}", '_' * width]
    return '\n'.join(out)
