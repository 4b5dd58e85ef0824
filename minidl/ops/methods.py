"""Tensor's operators and methods, in one table: ``x + y`` is ``ops.add(x, y)``, ``x.sum(1)`` is
``ops.sum(x, 1)``, ``x.add_(y)`` is its in-place form. The functions are defined once, in the
ops modules; this table only gives them their Tensor names.
"""
from .. import backend
from ..tensor import Tensor, check_dtype
from . import (activation, compare, cumulative, elementwise, index, inplace, like, linalg,
               rearrange, sort)
from .math import (Cast, Clone, ToDevice, abs, add, add_operator, cos, div, exp, invert, log,
                   matmul, mul, neg, positive, pow, sigmoid, sin, sqrt, sub, sub_operator, tanh)
from .math import compare as _compare
from .reduce import (amax, amin, argmax, argmin, logsumexp, max, mean, min, std, sum, var)
from .select import clip, maximum, minimum, where
from .shape import (T, broadcast_to, expand, flatten, mT, permute, reshape, split, squeeze,
                    sum_to, t, transpose, unsqueeze, view)
from .subscript import getitem


def to(self, *args, **kwargs):
    """This tensor on another device and/or with another dtype (differentiable): to(device),
    to(dtype), to(device, dtype), to(other_tensor), or the keywords device=, dtype=."""
    device, dtype = kwargs.pop('device', None), kwargs.pop('dtype', None)
    kwargs.pop('non_blocking', None)
    copy = kwargs.pop('copy', False)
    if kwargs:
        raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
    for arg in args:
        if isinstance(arg, Tensor):
            device, dtype = arg.device, arg.dtype
        elif isinstance(arg, str) or type(arg).__name__ == 'device':
            device = arg
        elif arg is not None:
            dtype = arg
    out = self
    if device is not None and backend.canonical_device(device) != self.device:
        out = ToDevice(backend.canonical_device(device))(out)
    if dtype is not None and check_dtype(dtype) != self.dtype:
        out = Cast(check_dtype(dtype))(out)
    return Clone()(out) if copy and out is self else out


def _cast_method(dtype, name):
    def method(self):
        return to(self, dtype=dtype)
    method.__name__, method.__doc__ = name, f"This tensor as {dtype.__name__} (differentiable)."
    return method


def clone(input):
    """A copy of input with its own memory (differentiable: the gradient passes unchanged)."""
    return Clone()(input)


def is_tensor(obj):
    """True when ``obj`` is a minidl Tensor."""
    return isinstance(obj, Tensor)


def is_floating_point(input):
    """True when input holds floating-point numbers."""
    return input.dtype.kind == 'f'


def numel(input):
    """The number of elements of input."""
    return input.numel()


def element_size(self):
    """The size of one element in bytes."""
    return self.dtype.itemsize


_true_divide_ = inplace.arithmetic_('true_divide', div)


def div_(self, other, *, rounding_mode=None):
    """self = div(self, other, rounding_mode=...), in place; returns self."""
    if rounding_mode is None:
        return _true_divide_(self, other)
    return inplace.update_(self, lambda t: div(t, other, rounding_mode=rounding_mode),
                           reads_target=False)


def stride(self, dim=None):
    """The step in elements between neighbours along each dimension (or along ``dim``)."""
    steps = tuple(s // self.dtype.itemsize for s in self.array.strides)
    return steps if dim is None else steps[dim]


def where_method(self, condition, other):
    """x.where(condition, other): x where condition holds, else other (torch.where's order)."""
    return where(condition, self, other)


def _unchanged(self, *args, **kwargs):
    """This tensor itself: memory pinning and sharing between processes need no action here."""
    return self


def _reflected(op):
    return lambda a, b: op(b, a)


def fill_diagonal_(self, fill_value, wrap=False):
    """Fill the main diagonal of a 2-D tensor with ``fill_value``, in place (wrap=True, which
    restarts the diagonal below a tall matrix, is not supported)."""
    if self.ndim != 2 or wrap:
        raise NotImplementedError("fill_diagonal_: only for 2-D tensors, without wrap")
    linalg.diagonal(self).fill_(fill_value)
    return self


_in_place = inplace.inplace_version

_METHODS = dict(
    # operators
    __add__=add_operator, __radd__=_reflected(add_operator), __sub__=sub_operator,
    __rsub__=_reflected(sub_operator), __mul__=mul, __rmul__=_reflected(mul),
    __truediv__=div, __rtruediv__=_reflected(div), __floordiv__=elementwise.floor_divide,
    __rfloordiv__=_reflected(elementwise.floor_divide), __mod__=elementwise.remainder,
    __rmod__=_reflected(elementwise.remainder), __pow__=pow, __rpow__=_reflected(pow),
    __matmul__=matmul, __rmatmul__=_reflected(matmul), __neg__=neg,
    __pos__=positive, __abs__=abs, __getitem__=getitem,
    __lt__=compare.lt, __le__=compare.le, __gt__=compare.gt, __ge__=compare.ge,
    __eq__=compare.eq, __ne__=compare.ne, __xor__=compare.bitwise_xor,
    # & and | are bitwise, as PyTorch's (for bools the logical and/or)
    __and__=lambda a, b: _compare('bitwise_and', a, b),
    __or__=lambda a, b: _compare('bitwise_or', a, b),
    __rand__=lambda a, b: _compare('bitwise_and', b, a),
    __ror__=lambda a, b: _compare('bitwise_or', b, a), __invert__=invert,
    # math, reductions, shapes (defined in math.py, reduce.py, shape.py)
    add=add, sub=sub, mul=mul, div=div, pow=pow, neg=neg, matmul=matmul, exp=exp, log=log,
    sqrt=sqrt, abs=abs, sin=sin, cos=cos, tanh=tanh, sigmoid=sigmoid, clip=clip, clamp=clip,
    maximum=maximum, minimum=minimum,
    sum=sum, mean=mean, var=var, std=std, max=max, min=min, amax=amax, amin=amin,
    logsumexp=logsumexp, argmax=argmax, argmin=argmin,
    reshape=reshape, view=view, permute=permute, transpose=transpose, flatten=flatten,
    squeeze=squeeze, unsqueeze=unsqueeze, broadcast_to=broadcast_to, expand=expand,
    sum_to=sum_to, split=split, t=t,
    # devices, dtypes, copies
    to=to, cpu=lambda self: to(self, 'cpu'), cuda=lambda self, device='cuda': to(self, device),
    float=_cast_method(backend.float32, 'float'), double=_cast_method(backend.float64, 'double'),
    half=_cast_method(backend.float16, 'half'), long=_cast_method(backend.int64, 'long'),
    int=_cast_method(backend.int32, 'int'), bool=_cast_method(backend.bool_, 'bool'),
    type=lambda self, dtype: to(self, dtype=dtype), clone=clone,
    is_floating_point=is_floating_point, element_size=element_size, nelement=numel,
    ndimension=lambda self: self.ndim, stride=stride, is_complex=lambda self: False,
    where=where_method, pin_memory=_unchanged, share_memory_=_unchanged,
    sum_to_size=lambda self, *size: sum_to(self, size[0] if len(size) == 1 and isinstance(
        size[0], (tuple, list)) else size),
    split_with_sizes=lambda self, split_sizes, dim=0: split(self, list(split_sizes), dim),
    unfold=rearrange.windows,
    # in place (inplace.py)
    __setitem__=inplace.setitem,
    add_=inplace.with_alpha(inplace.arithmetic_('add', add)),
    sub_=inplace.with_alpha(inplace.arithmetic_('subtract', sub)),
    mul_=inplace.arithmetic_('multiply', mul), div_=div_,
    fill_=inplace.fill_, zero_=inplace.zero_, copy_=inplace.copy_,
    clamp_=_in_place(clip), clip_=_in_place(clip), exp_=_in_place(exp, reads_target=False),
    neg_=_in_place(neg, reads_target=False), pow_=_in_place(pow),
    sqrt_=_in_place(sqrt, reads_target=False), sigmoid_=_in_place(sigmoid, reads_target=False),
    tanh_=_in_place(tanh, reads_target=False), relu_=activation.relu_,
    fill_diagonal_=fill_diagonal_,
)

# x.name(...) is module.name(x, ...) for these names
_SAME_NAMES = {
    activation: 'relu softmax log_softmax',
    elementwise: 'floor_divide remainder fmod addcmul addcdiv lerp clamp_min clamp_max log1p '
                 'expm1 log2 log10 exp2 tan atan asin acos atan2 sinh cosh asinh acosh atanh '
                 'erf floor ceil round trunc frac sign sgn signbit square rsqrt reciprocal '
                 'nan_to_num logaddexp hypot logit xlogy deg2rad rad2deg',
    compare: 'eq ne lt le gt ge not_equal less less_equal greater greater_equal equal isclose '
             'allclose isnan isinf isfinite isposinf isneginf logical_and logical_or '
             'logical_xor logical_not bitwise_xor any all count_nonzero',
    cumulative: 'prod cumsum cumprod',
    sort: 'sort argsort msort topk kthvalue median unique bincount histc',
    index: 'gather scatter scatter_add index_select index_add index_fill index_copy '
           'masked_fill masked_select nonzero argwhere',
    linalg: 'mm bmm mv dot outer addmm cross diagonal diag trace tril triu norm',
    rearrange: 'flip fliplr flipud roll repeat tile repeat_interleave chunk unbind narrow '
               'select movedim swapaxes unflatten expand_as view_as reshape_as type_as '
               'contiguous is_contiguous diff rot90',
    like: 'new_zeros new_ones new_full new_empty new_tensor normal_ uniform_ bernoulli_ '
          'random_ exponential_ bernoulli multinomial',
}
for module, names in _SAME_NAMES.items():
    _METHODS.update({name: getattr(module, name) for name in names.split()})

_ALIASES = dict(subtract='sub', multiply='mul', divide='div', true_divide='div',
                negative='neg', absolute='abs', arctan='atan', arcsin='asin', arccos='acos',
                arctan2='atan2', arcsinh='asinh', arccosh='acosh', arctanh='atanh',
                fix='trunc', ger='outer', moveaxis='movedim', swapdims='swapaxes')
_METHODS.update({alias: _METHODS[name] for alias, name in _ALIASES.items()})

# In-place forms x.name_(...): the op computes the new values, and its backward may read its
# input, the tensor about to be overwritten: then a copy is kept (READS_INPUT). The others read
# only their output, a mask, or nothing, and need no copy.
_READS_INPUT = ('abs log sin cos log1p log2 log10 square reciprocal remainder fmod atan2 erf '
                'asin acos atan sinh cosh asinh acosh atanh logit hypot xlogy')
_READS_NOTHING = ('floor ceil round trunc frac sign sgn expm1 exp2 tan rsqrt clamp_min '
                  'clamp_max deg2rad rad2deg nan_to_num floor_divide addcmul addcdiv lerp '
                  'masked_fill scatter scatter_add index_add index_fill index_copy')
_METHODS.update({name + '_': _in_place(_METHODS[name]) for name in _READS_INPUT.split()})
_METHODS.update({name + '_': _in_place(_METHODS[name], reads_target=False)
                 for name in _READS_NOTHING.split()})
_METHODS.update(__iadd__=_METHODS['add_'], __isub__=_METHODS['sub_'],
                __imul__=_METHODS['mul_'], __itruediv__=_METHODS['div_'],
                __ifloordiv__=_METHODS['floor_divide_'], __imod__=_METHODS['remainder_'])


def attach():
    """Give Tensor its operators and methods."""
    for name, fn in _METHODS.items():
        setattr(Tensor, name, fn)
    Tensor.T = property(T, doc="All dimensions reversed (the matrix transpose for 2-D).")
    Tensor.mT = property(mT, doc="The last two dimensions swapped (a batch of matrices).")
