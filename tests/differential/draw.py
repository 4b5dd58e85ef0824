"""Hypothesis strategies for the differential test: what a case is and how one is drawn.

A case is a list of input tensors, each described framework-free by an ``Input`` (its values
as a NumPy array, a memory layout, and whether it takes part in the gradient), plus keyword
arguments, which may hold further Inputs (index tensors, targets, clamp bounds). ``run.py``
builds the same case as minidl and as torch tensors.

Shapes favour the edges: 0-d tensors, size-0 and size-1 dims, broadcasting between inputs,
now and then shapes that do not broadcast (both sides must then raise). Values come in two
styles: "ties" (small multiples of 0.5, so equal elements and exact zeros are common) and
"spread" (normal draws). Layouts are contiguous, transposed (all dims reversed in memory) and
strided (every other element of a wider buffer).
"""
import dataclasses

import numpy as np
from hypothesis import strategies as st

FLOAT, INT, BOOL = (np.float32, np.float64), (np.int64, np.int32), (np.bool_,)
KINDS = {'f': FLOAT, 'i': INT, 'b': BOOL}
SIZES = st.sampled_from([0, 1, 1, 2, 2, 3, 3, 4])
LAYOUTS = ('contiguous', 'transposed', 'strided')


@dataclasses.dataclass
class Input:
    """One input tensor: ``values`` (a C-ordered array), ``layout`` and ``grad`` (whether it
    requires grad, for floating-point inputs)."""
    values: np.ndarray
    layout: str = 'contiguous'
    grad: bool = True

    def __repr__(self):
        v = self.values
        return f"Input({v.dtype}{list(v.shape)} {self.layout}, {np.array2string(v.ravel()[:12])})"

    def array(self):
        """A fresh array with these values in this layout (each framework gets its own)."""
        v = self.values
        if self.layout == 'transposed' and v.ndim >= 2:
            return v.T.copy(order='C').T
        if self.layout == 'strided' and v.ndim >= 1:
            buffer = np.zeros(v.shape[:-1] + (2 * v.shape[-1],), v.dtype)
            buffer[..., ::2] = v
            return buffer[..., ::2]
        return v.copy()


@dataclasses.dataclass
class Case:
    """The inputs (positional) and keyword arguments of one call."""
    inputs: list
    kwargs: dict = dataclasses.field(default_factory=dict)


def shapes(min_ndim=0, max_ndim=4):
    """A shape of ``min_ndim`` to ``max_ndim`` small dims (0 and 1 common)."""
    return st.lists(SIZES, min_size=min_ndim, max_size=max_ndim).map(tuple)


@st.composite
def broadcast_shapes(draw, n, min_ndim=0, max_ndim=4, mismatch=True):
    """``n`` shapes that broadcast together (leading dims dropped, dims set to 1); with
    ``mismatch``, one time in twelve one dim is changed so that they do not."""
    base = draw(shapes(min_ndim, max_ndim))
    out = []
    for _ in range(n):
        keep = draw(st.integers(min_ndim, len(base))) if draw(st.integers(0, 2)) == 0 \
            else len(base)
        sub = list(base[len(base) - keep:])
        for i in range(len(sub)):
            if draw(st.integers(0, 4)) == 0:
                sub[i] = 1
        out.append(tuple(sub))
    if mismatch and n > 1 and base and draw(st.integers(0, 11)) == 0:
        i = draw(st.integers(0, n - 1))
        if out[i]:
            j = draw(st.integers(0, len(out[i]) - 1))
            out[i] = out[i][:j] + (out[i][j] + 2,) + out[i][j + 1:]
    return out


def dtypes(kinds):
    """A dtype of one of ``kinds`` ('f' float32/64, 'i' int64/32, 'b' bool)."""
    return st.sampled_from([d for k in kinds for d in KINDS[k]])


def values(rng, shape, dtype, style, domain=None):
    """An array of ``shape`` and ``dtype``: 'ties' style draws multiples of 0.5 in [-3, 3] (ints
    in [-3, 3]), 'spread' normal numbers. ``domain``: 'positive', 'unit' ([0, 1], ends
    included) or 'nonzero'."""
    dtype = np.dtype(dtype)
    if dtype.kind == 'b':
        return np.asarray(rng.random(shape) < 0.5)
    if style == 'ties' or dtype.kind in 'iu':
        v = rng.integers(-3, 4, shape) * (0.5 if dtype.kind == 'f' else 1)
        if domain == 'positive':
            v = np.abs(v) + (0.5 if dtype.kind == 'f' else 1)
        elif domain == 'unit':
            v = rng.integers(0, 5, shape) / 4
        elif domain == 'nonzero':
            v = np.where(v == 0, 1, v)
    else:
        v = rng.standard_normal(shape) * 1.5
        if domain == 'positive':
            v = np.exp(v * 0.5)
        elif domain == 'unit':
            v = rng.random(shape)
        elif domain == 'nonzero':
            v = np.where(np.abs(v) < 0.1, 0.5, v)
    return np.asarray(v).astype(dtype)


@st.composite
def inputs_of(draw, shape_list, kinds='f', domain=None, grad=True, same_dtype=False):
    """Inputs of the given shapes, dtypes drawn from ``kinds`` (one per input, or one for all
    with ``same_dtype``), layouts and values drawn."""
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 32 - 1)))
    style = draw(st.sampled_from(['ties', 'spread']))
    shared = draw(dtypes(kinds))
    out = []
    for shape in shape_list:
        dtype = shared if same_dtype else draw(dtypes(kinds))
        layout = draw(st.sampled_from(LAYOUTS[:1 + min(len(shape), 2)]))
        out.append(Input(values(rng, shape, dtype, style, domain), layout, grad))
    return out


@st.composite
def tensors(draw, n=1, kinds='f', domain=None, min_ndim=0, max_ndim=4, same_dtype=False,
            broadcast=True, mismatch=True):
    """``n`` inputs whose shapes broadcast together (or are equal, ``broadcast=False``)."""
    if broadcast:
        shape_list = draw(broadcast_shapes(n, min_ndim, max_ndim, mismatch))
    else:
        shape_list = [draw(shapes(min_ndim, max_ndim))] * n
    return draw(inputs_of(shape_list, kinds, domain, same_dtype=same_dtype))


def case(inputs, kwargs=None):
    """A strategy of Cases: ``inputs`` a strategy of Input lists, ``kwargs`` a function of the
    drawn inputs' shapes returning a strategy of keyword dicts."""
    @st.composite
    def draw_case(draw):
        drawn = draw(inputs)
        kw = draw(kwargs([i.values.shape for i in drawn])) if kwargs else {}
        return Case(drawn, kw)
    return draw_case()


def dim_of(ndim, allow_bad=True):
    """A dim for a tensor of ``ndim`` dims (0 and -1 included for 0-d); sometimes one out of
    range."""
    size = max(ndim, 1)
    low, high = (-size - 1, size) if allow_bad else (-size, size - 1)
    return st.integers(low, high)


@st.composite
def dims_of(draw, ndim):
    """None, an int dim, or a tuple of dims (possibly empty, rarely repeated) for ``ndim``."""
    kind = draw(st.sampled_from(['none', 'int', 'int', 'tuple']))
    if kind == 'none':
        return None
    if kind == 'int':
        return draw(dim_of(ndim))
    size = max(ndim, 1)
    return tuple(draw(st.lists(st.integers(-size, size - 1), max_size=size)))


def scalars(kinds='fib'):
    """A Python number of the given kinds, with zeros and ties."""
    options = []
    if 'f' in kinds:
        options += [0.0, 0.5, -1.5, 2.0, 2.5]
    if 'i' in kinds:
        options += [0, 1, 2, -1, 3]
    if 'b' in kinds:
        options += [True, False]
    return st.sampled_from(options)
