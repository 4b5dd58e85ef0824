"""export(): trace the model twice, write its graph as ONNX, check it and save it."""
import os

from ..nn.module import Module
from . import layers  # noqa: F401  (registers the layers' converters)
from .trace import ExportError, flat_tensors, grown_inputs, run, twins

DEFAULT_OPSET = 17       # widely read by runtimes; export(..., opset=N) asks for another
MIN_OPSET = 13           # the converters use opset 13's forms of Softmax, ReduceSum, Split...


def _require_onnx():
    try:
        import onnx
    except ImportError as exc:
        raise ImportError("minidl.onnx.export needs the onnx package: pip install -e '.[onnx]' "
                          "(or pip install onnx)") from exc
    return onnx


def _names(names, count, default, what):
    """``names`` checked to be ``count`` distinct strings, or the defaults."""
    if names is None:
        return [default] if count == 1 else [f'{default}{k}' for k in range(count)]
    names = [names] if isinstance(names, str) else list(names)
    if len(names) != count or len(set(names)) != count or \
            not all(isinstance(n, str) and n for n in names):
        raise ValueError(f"export: {what} must be {count} distinct non-empty strings (one per "
                         f"model {what[:-6]}), got {names!r}")
    return names


def export(model, example_input, path, opset=DEFAULT_OPSET, input_names=None, output_names=None):
    """Write ``model`` as an ONNX file at ``path`` (a str or path) and return the ModelProto.

    The model runs in eval mode (dropout off, batch norm with its running statistics; its modes
    are restored after) on ``example_input``, a Tensor (N, ...) or a tuple of them, and again on
    a batch one sample larger: operations that depend on the input become ONNX nodes, the
    parameters and everything computed from them alone become initializers (named after the
    parameters). Dimensions that follow the batch size are symbolic ('batch'), so the file
    runs on any batch. Inputs are named ``input_names`` (default 'input', or 'input0',
    'input1', ...), outputs ``output_names`` (default 'output'...).

    ``opset``: the ONNX operator set, from MIN_OPSET (13) to the installed onnx's newest.
    The model is checked with ``onnx.checker.check_model(full_check=True)`` before it is
    written. An operation without an ONNX form raises ExportError naming the operation (its
    Function class) and the module whose forward ran it; so does a forward whose operations
    or constants change with the input (data-dependent control flow, values taken out of
    autograd with ``.item()`` or comparisons).
    """
    onnx = _require_onnx()
    if not isinstance(model, Module):
        raise TypeError(f"export: model must be a minidl.nn.Module, got {type(model).__name__}")
    newest = onnx.defs.onnx_opset_version()
    if isinstance(opset, bool) or not isinstance(opset, int) or not MIN_OPSET <= opset <= newest:
        raise ValueError(f"export: opset must be an int from {MIN_OPSET} to {newest} (the "
                         f"installed onnx's newest), got {opset!r}")
    inputs = flat_tensors(example_input, 'example input')
    first = run(model, inputs, attribute=True)
    second = run(model, grown_inputs(inputs))
    from .graph import build
    proto = build(first, second, twins(first, second), opset,
                  _names(input_names, len(inputs), 'input', 'input_names'),
                  _names(output_names, len(first.outputs), 'output', 'output_names'))
    onnx.checker.check_model(proto, full_check=True)
    onnx.save(proto, os.fspath(path))
    return proto


__all__ = ['export', 'ExportError']
