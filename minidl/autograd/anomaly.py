"""Anomaly detection: find the operation that first produced a NaN, as torch.autograd's.

    with mdl.autograd.detect_anomaly():
        loss = model(x).log().mean()      # a forward NaN is an error here, at its line
        loss.backward()                   # a NaN/inf gradient names the op and where it was made

While it is on, every recorded Function keeps the stack of the line that created it (a few
tens of microseconds per operation, so it is for debugging), and:

- the backward engine checks each Function's gradients: a NaN or an infinity in one raises a
  RuntimeError naming the Function and the input, with that stack (PyTorch checks for NaN
  only; an infinite gradient ruins the next optimizer step just as surely);
- any other error raised inside a backward gets the same stack as a note;
- each operation's result is checked for NaN as it is computed, so the error is raised at the
  line that made it. PyTorch does not check the forward pass; minidl does because a NaN loss
  is where most searches start. Infinities pass in the forward pass: -inf is a legitimate
  value there (a mask before softmax, the log of a zero probability that a ``where`` drops).

Off, it costs one flag test per operation.
"""
import functools
import os
import traceback

from .. import backend

_enabled = [False]          # read on the hot path by Function.__call__ and the engine
_check_nan = [True]
_in_backward = [0]          # a backward's own operations: its result is checked as a whole
_HERE = os.path.dirname(os.path.abspath(__file__))
_MECHANICS = (_HERE, os.path.join(os.path.dirname(_HERE), 'ops'))


def is_anomaly_enabled():
    """True inside ``detect_anomaly()`` (or after ``set_detect_anomaly(True)``)."""
    return _enabled[0]


def is_anomaly_check_nan_enabled():
    """True when anomaly mode checks values for NaN (its ``check_nan`` argument)."""
    return _check_nan[0]


class set_detect_anomaly:
    """Turn anomaly detection on or off (``check_nan=False``: keep the creation stacks for
    errors raised in backward, but do not check values), as a call or a context manager."""

    def __init__(self, mode, check_nan=True):
        self._previous = (_enabled[0], _check_nan[0])
        _enabled[0], _check_nan[0] = bool(mode), bool(check_nan)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _enabled[0], _check_nan[0] = self._previous


class detect_anomaly:
    """Anomaly detection inside the block (a context manager) or the function (a decorator):
    ``with mdl.autograd.detect_anomaly(): ...``. See the module's text for what is checked."""

    def __init__(self, check_nan=True):
        self.check_nan = check_nan

    def __enter__(self):
        self._mode = set_detect_anomaly(True, self.check_nan)

    def __exit__(self, *exc):
        self._mode.__exit__()

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with detect_anomaly(self.check_nan):
                return func(*args, **kwargs)
        return wrapper


def after_forward(fn, inputs, result, recorded):
    """Anomaly mode's part of calling Function ``fn`` on the Tensors ``inputs``: check its
    result(s) for NaN, and keep the creation stack on a recorded node for backward's messages."""
    if _check_nan[0] and not _in_backward[0]:
        results = result if type(result) is tuple else (result,)
        for i, array in enumerate(results):
            if _has(array, nan_only=True):
                which = f" in its output {i}" if len(results) > 1 else ''
                raise RuntimeError(f"anomaly detected: {type(fn).__name__} returned nan values"
                                   f"{which} in the forward pass, from {_describe(inputs)}; "
                                   "the traceback shows the line that called it")
    if recorded:
        fn._anomaly_stack = _user_stack()


class backward_of:
    """The block computes a Function's backward: operations inside are not checked one by
    one, since check_backward names the Function whose gradient holds a NaN."""

    def __enter__(self):
        _in_backward[0] += 1

    def __exit__(self, *exc):
        _in_backward[0] -= 1


def check_backward(fn, input_grads):
    """Raise when a gradient that ``fn``'s backward returned holds NaN or an infinity."""
    if not _check_nan[0]:
        return
    for i, g in enumerate(input_grads):
        if g is not None and _has(g.array, nan_only=False):
            kind = 'nan' if _has(g.array, nan_only=True) else 'infinite'
            raise RuntimeError(f"anomaly detected: Function '{type(fn).__name__}Backward' "
                               f"returned {kind} values in its gradient for input {i} (of "
                               f"{len(input_grads)}). {created_here(fn)}")


def created_here(fn):
    """'It was created here:' and the stack kept when ``fn`` was recorded (or why there is
    none)."""
    stack = getattr(fn, '_anomaly_stack', None)
    if stack is None:
        return ("Its forward pass ran before anomaly detection was turned on, so where it was "
                "created is unknown: run the forward pass inside detect_anomaly() too.")
    return ("The operation was created here (most recent call last):\n" +
            ''.join(traceback.format_list(stack)).rstrip())


def _has(array, nan_only):
    if array.dtype.kind not in 'fc':
        return False
    xp = backend.array_module(array)
    return bool(xp.isnan(array).any() if nan_only else not xp.isfinite(array).all())


def _describe(inputs):
    """'inputs (64, 10) with nan, (10,) finite': where a NaN came from."""
    def state(array):
        return 'with nan' if _has(array, True) else 'with inf' if _has(array, False) else 'finite'
    described = [f"{tuple(x.shape)} {state(x.array)}" for x in inputs]
    return ('input ' if len(described) == 1 else 'inputs ') + ', '.join(described)


def _user_stack():
    """The current stack without its innermost frames in minidl's autograd and ops packages
    (the mechanics of calling a Function): it ends at the line of the model or the user's code
    that asked for the operation."""
    stack = traceback.extract_stack()
    while stack and os.path.dirname(os.path.abspath(stack[-1].filename)) in _MECHANICS:
        stack.pop()
    return stack
