"""minidl.onnx: write a trained model as an ONNX file, to run it outside minidl (onnxruntime on
a CPU, a GPU, a phone or a browser; Netron to look at it).

    import minidl.onnx
    minidl.onnx.export(model, example_batch, 'model.onnx')

Needs the optional ``onnx`` package (``pip install -e '.[onnx]'``), imported only when export
is called: ``import minidl`` never imports it.
"""
from .export import DEFAULT_OPSET, MIN_OPSET, export
from .trace import ExportError

__all__ = ['export', 'ExportError', 'DEFAULT_OPSET', 'MIN_OPSET']
