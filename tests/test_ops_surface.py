"""The PyTorch surface of tensor ops (issue 14): every op from one registry, checked three ways.

Each spec is written once with PyTorch's spelling, as a function of a library ``L`` and input
tensors, so the same code runs with ``L = minidl`` and ``L = torch``: values against a NumPy
reference, gradients by gradcheck in float64 (and second derivatives for the ops with a backward
of their own), and, where torch is installed, values, dtypes and gradients against PyTorch.
"""
import collections
import math

import numpy as np
import pytest

import minidl as mdl
from tests.conftest import to_numpy

Spec = collections.namedtuple('Spec', 'name fn shapes sampler numpy torch')


def positive(shape, rng):
    return rng.uniform(0.5, 2.0, shape)


def away_from_zero(shape, rng):
    return rng.choice([-1.0, 1.0], shape) * rng.uniform(0.2, 1.5, shape)


def small(shape, rng):
    return rng.uniform(-0.8, 0.8, shape)


def distinct(shape, rng):
    n = int(np.prod(shape))
    return (rng.permutation(n).reshape(shape) * 0.37 - n * 0.1).astype(float)


def with_zeros(shape, rng):
    """Exact zeros among the values (one in every row, two in the first): products' gradients
    must be exact there."""
    x = away_from_zero(shape, rng)
    x.reshape(-1, shape[-1])[:, 1] = 0
    x.reshape(-1)[3] = 0
    return x


def _index(like, rows):
    """An int64 index tensor beside ``like`` (its library and device)."""
    return like.new_tensor(rows).long()


def S(name, fn, shapes, sampler=away_from_zero, numpy=None, torch='all'):
    """A spec; ``torch`` says what to compare with PyTorch: 'all', 'values' (not gradients:
    PyTorch's backward fails) or None (PyTorch fails)."""
    return Spec(name, fn, shapes, sampler, numpy, torch)


SPECS = [
    # arithmetic by name
    S('add alpha', lambda L, a, b: L.add(a, b, alpha=2), [(3, 4), (4,)],
      numpy=lambda a, b: a + 2 * b),
    S('sub alpha method', lambda L, a, b: a.sub(b, alpha=0.5), [(3, 4), (3, 1)],
      numpy=lambda a, b: a - 0.5 * b),
    S('mul', lambda L, a, b: L.mul(a, b), [(2, 3), (3,)], numpy=lambda a, b: a * b),
    S('multiply method', lambda L, a, b: a.multiply(b), [(2, 3), (2, 3)], numpy=np.multiply),
    S('div', lambda L, a, b: L.div(a, b), [(2, 3), (3,)], numpy=lambda a, b: a / b),
    S('divide method', lambda L, a, b: a.divide(b), [(2, 3), (2, 1)], numpy=np.divide),
    S('true_divide', lambda L, a, b: L.true_divide(a, b), [(4,), (4,)], numpy=np.divide),
    S('div trunc', lambda L, a, b: L.div(a * 3, b, rounding_mode='trunc'), [(3, 4), (4,)],
      numpy=lambda a, b: np.trunc(a * 3 / b)),
    S('div floor', lambda L, a, b: a.div(b * 0.3, rounding_mode='floor'), [(3, 4), (4,)],
      numpy=lambda a, b: np.floor_divide(a, b * 0.3)),
    # PyTorch's floor_divide records a graph, then has no derivative; minidl's is zero
    S('floor_divide', lambda L, a, b: L.floor_divide(a * 3, b), [(3, 4), (4,)],
      numpy=lambda a, b: np.floor_divide(a * 3, b), torch='values'),
    S('// operator', lambda L, a: a * 5 // 2, [(6,)], numpy=lambda a: np.floor_divide(a * 5, 2),
      torch='values'),
    S('remainder', lambda L, a, b: L.remainder(a * 3, b), [(3, 4), (4,)], positive,
      numpy=lambda a, b: np.remainder(a * 3, b)),
    S('% operator', lambda L, a: (a * 4) % 1.5, [(6,)], numpy=lambda a: np.remainder(a * 4, 1.5)),
    S('fmod', lambda L, a, b: L.fmod(a * 3, b), [(3, 4), (4,)],
      numpy=lambda a, b: np.fmod(a * 3, b)),
    S('addcmul', lambda L, x, a, b: L.addcmul(x, a, b, value=0.5), [(3, 4), (3, 4), (4,)],
      numpy=lambda x, a, b: x + 0.5 * a * b),
    S('addcdiv method', lambda L, x, a, b: x.addcdiv(a, b, value=-2), [(3, 4), (3, 4), (4,)],
      numpy=lambda x, a, b: x - 2 * a / b),
    S('lerp', lambda L, a, b, w: L.lerp(a, b, w), [(3, 4), (3, 4), (4,)],
      numpy=lambda a, b, w: a + w * (b - a)),
    S('lerp number', lambda L, a, b: a.lerp(b, 0.25), [(3,), (3,)],
      numpy=lambda a, b: a + 0.25 * (b - a)),
    # elementwise functions
    S('log1p', lambda L, a: L.log1p(a), [(3, 4)], positive, np.log1p),
    S('expm1', lambda L, a: a.expm1(), [(3, 4)], numpy=np.expm1),
    S('log2', lambda L, a: L.log2(a), [(3, 4)], positive, np.log2),
    S('log10', lambda L, a: a.log10(), [(3, 4)], positive, np.log10),
    S('exp2', lambda L, a: L.exp2(a), [(3, 4)], numpy=np.exp2),
    S('tan', lambda L, a: L.tan(a), [(3, 4)], small, np.tan),
    S('atan', lambda L, a: a.atan(), [(3, 4)], numpy=np.arctan),
    S('asin', lambda L, a: L.asin(a), [(3, 4)], small, np.arcsin),
    S('acos', lambda L, a: a.acos(), [(3, 4)], small, np.arccos),
    S('arctan', lambda L, a: L.arctan(a), [(3,)], numpy=np.arctan),
    S('sinh', lambda L, a: L.sinh(a), [(3, 4)], numpy=np.sinh),
    S('erf', lambda L, a: a.erf(), [(3, 4)], numpy=lambda a: np.vectorize(math.erf)(a)),
    S('asinh', lambda L, a: L.asinh(a), [(3, 4)], numpy=np.arcsinh),
    S('acosh', lambda L, a: a.acosh(), [(3, 4)], lambda shape, rng: rng.uniform(1.2, 3, shape),
      np.arccosh),
    S('atanh', lambda L, a: L.atanh(a), [(3, 4)], small, np.arctanh),
    S('frac', lambda L, a: L.frac(a * 3), [(3, 4)], numpy=lambda a: a * 3 - np.trunc(a * 3)),
    S('logaddexp', lambda L, a, b: L.logaddexp(a, b), [(3, 4), (4,)], numpy=np.logaddexp),
    S('hypot', lambda L, a, b: a.hypot(b), [(3, 4), (3, 4)], numpy=np.hypot),
    S('logit', lambda L, a: L.logit(a), [(3, 4)], lambda shape, rng: rng.uniform(0.1, 0.9, shape),
      lambda a: np.log(a / (1 - a))),
    S('logit eps', lambda L, a: a.logit(eps=0.2), [(8,)], distinct,
      lambda a: np.log(np.clip(a, 0.2, 0.8) / (1 - np.clip(a, 0.2, 0.8)))),
    S('xlogy', lambda L, a, b: L.xlogy(a, b), [(3, 4), (4,)], positive,
      lambda a, b: a * np.log(b)),
    S('deg2rad rad2deg', lambda L, a: L.deg2rad(a) + a.rad2deg(), [(3,)],
      numpy=lambda a: np.deg2rad(a) + np.rad2deg(a)),
    S('atan2', lambda L, a, b: L.atan2(a, b), [(3, 4), (4,)], numpy=np.arctan2),
    S('cosh', lambda L, a: a.cosh(), [(3, 4)], numpy=np.cosh),
    S('floor', lambda L, a: L.floor(a * 3), [(3, 4)], numpy=lambda a: np.floor(a * 3)),
    S('ceil', lambda L, a: (a * 3).ceil(), [(3, 4)], numpy=lambda a: np.ceil(a * 3)),
    S('round', lambda L, a: L.round(a * 3), [(3, 4)], numpy=lambda a: np.round(a * 3)),
    S('round decimals', lambda L, a: a.round(decimals=1), [(3, 4)],
      numpy=lambda a: np.round(a, 1)),
    S('trunc', lambda L, a: L.trunc(a * 3), [(3, 4)], numpy=lambda a: np.trunc(a * 3)),
    S('fix', lambda L, a: (a * 3).fix(), [(3, 4)], numpy=lambda a: np.trunc(a * 3)),
    S('sign', lambda L, a: L.sign(a), [(3, 4)], numpy=np.sign),
    S('square', lambda L, a: L.square(a), [(3, 4)], numpy=np.square),
    S('rsqrt', lambda L, a: a.rsqrt(), [(3, 4)], positive, lambda a: 1 / np.sqrt(a)),
    S('reciprocal', lambda L, a: L.reciprocal(a), [(3, 4)], numpy=lambda a: 1 / a),
    S('clamp_min', lambda L, a: L.clamp_min(a, 0.1), [(4, 5)], distinct,
      lambda a: np.maximum(a, 0.1)),
    S('clamp_max', lambda L, a: a.clamp_max(-0.1), [(4, 5)], distinct,
      lambda a: np.minimum(a, -0.1)),
    S('nan_to_num finite', lambda L, a: L.nan_to_num(a), [(3, 4)], numpy=lambda a: a),
    S('relu', lambda L, a: L.relu(a), [(3, 4)], numpy=lambda a: np.maximum(a, 0)),
    S('relu method', lambda L, a: a.relu(), [(3, 4)], numpy=lambda a: np.maximum(a, 0)),
    S('softmax', lambda L, a: L.softmax(a, 1), [(3, 4)],
      numpy=lambda a: np.exp(a) / np.exp(a).sum(1, keepdims=True)),
    S('softmax method', lambda L, a: a.softmax(dim=0), [(3, 4)],
      numpy=lambda a: np.exp(a) / np.exp(a).sum(0, keepdims=True)),
    S('log_softmax', lambda L, a: a.log_softmax(-1), [(2, 3, 4)],
      numpy=lambda a: a - np.log(np.exp(a).sum(-1, keepdims=True))),
    S('log_softmax function', lambda L, a: L.log_softmax(a, dim=1), [(2, 3)],
      numpy=lambda a: a - np.log(np.exp(a).sum(1, keepdims=True))),
    # products and running sums
    S('prod', lambda L, a: L.prod(a), [(2, 3)], numpy=np.prod),
    S('prod dim', lambda L, a: a.prod(1), [(3, 4)], numpy=lambda a: a.prod(1)),
    S('prod keepdim', lambda L, a: a.prod(0, keepdim=True), [(3, 4)],
      numpy=lambda a: a.prod(0, keepdims=True)),
    S('prod with zeros', lambda L, a: L.prod(a, -1), [(3, 5)], with_zeros, lambda a: a.prod(-1)),
    S('prod all with one zero', lambda L, a: a[1:].prod(), [(3, 4)], with_zeros,
      lambda a: a[1:].prod()),
    S('prod 0-d', lambda L, a: L.prod(a.sum()), [(3,)], numpy=lambda a: a.sum()),
    S('cumsum', lambda L, a: L.cumsum(a, 1), [(3, 4)], numpy=lambda a: np.cumsum(a, 1)),
    S('cumsum dim 0', lambda L, a: a.cumsum(dim=0), [(3, 4)], numpy=lambda a: np.cumsum(a, 0)),
    S('cumprod', lambda L, a: L.cumprod(a, 1), [(3, 5)], numpy=lambda a: np.cumprod(a, 1)),
    S('cumprod with zeros', lambda L, a: a.cumprod(-1), [(2, 6)], with_zeros,
      lambda a: np.cumprod(a, -1)),
    # ordering
    S('sort values', lambda L, a: L.sort(a, 1).values, [(3, 5)], distinct,
      lambda a: np.sort(a, 1)),
    S('sort descending', lambda L, a: a.sort(dim=0, descending=True)[0], [(4, 3)], distinct,
      lambda a: -np.sort(-a, 0)),
    S('topk', lambda L, a: L.topk(a, 2).values, [(3, 5)], distinct,
      lambda a: -np.sort(-a, 1)[:, :2]),
    S('topk smallest', lambda L, a: a.topk(3, dim=0, largest=False)[0], [(5, 2)], distinct,
      lambda a: np.sort(a, 0)[:3]),
    S('kthvalue', lambda L, a: L.kthvalue(a, 2, 1).values, [(3, 5)], distinct,
      lambda a: np.sort(a, 1)[:, 1]),
    S('median', lambda L, a: L.median(a), [(3, 5)], distinct,
      lambda a: np.sort(a.reshape(-1))[7]),
    S('median even dim', lambda L, a: a.median(1, keepdim=True).values, [(3, 4)], distinct,
      lambda a: np.sort(a, 1)[:, 1:2]),
    S('msort', lambda L, a: L.msort(a), [(4, 3)], distinct, lambda a: np.sort(a, 0)),
    # indexing along a dimension
    S('gather', lambda L, a: L.gather(a, 1, _index(a, [[0, 2, 2], [1, 0, 3]])), [(2, 4)],
      numpy=lambda a: np.take_along_axis(a, np.array([[0, 2, 2], [1, 0, 3]]), 1)),
    S('gather smaller index', lambda L, a: a.gather(0, _index(a, [[2, 0], [1, 1]])), [(3, 4)],
      numpy=lambda a: np.array([[a[2, 0], a[0, 1]], [a[1, 0], a[1, 1]]])),
    S('scatter', lambda L, x, s: L.scatter(x, 0, _index(x, [[1, 0, 2]]), s), [(3, 3), (1, 3)],
      numpy=lambda x, s: _np_scatter(x, [[1, 0, 2]], s)),
    # src larger than index: PyTorch's backward fails ("returned an invalid gradient")
    S('scatter larger src', lambda L, x, s: x.scatter(0, _index(x, [[1, 0, 2]]), s),
      [(3, 3), (2, 4)], numpy=lambda x, s: _np_scatter(x, [[1, 0, 2]], s), torch='values'),
    S('scatter value', lambda L, x: x.scatter(1, _index(x, [[0], [2]]), 5.0), [(2, 3)],
      numpy=lambda x: np.where([[1, 0, 0], [0, 0, 1]], 5.0, x)),
    S('scatter_add', lambda L, x, s: L.scatter_add(x, 1, _index(x, [[0, 0, 2], [1, 1, 1]]), s),
      [(2, 3), (2, 3)], numpy=lambda x, s: _np_scatter_add(x, [[0, 0, 2], [1, 1, 1]], s)),
    S('scatter_add larger src', lambda L, x, s: x.scatter_add(1, _index(x, [[0, 0], [1, 1]]), s),
      [(2, 3), (3, 4)], numpy=lambda x, s: _np_scatter_add(x, [[0, 0], [1, 1]], s),
      torch='values'),
    S('index_select', lambda L, a: L.index_select(a, 1, _index(a, [2, 0, 2])), [(3, 4)],
      numpy=lambda a: a[:, [2, 0, 2]]),
    S('index_add', lambda L, x, s: x.index_add(0, _index(x, [1, 1, 0]), s, alpha=2),
      [(2, 3), (3, 3)], numpy=lambda x, s: x + 2 * np.array([s[2], s[0] + s[1]])),
    S('index_fill', lambda L, x: L.index_fill(x, 1, _index(x, [0, 2]), -1.0), [(2, 3)],
      numpy=lambda x: np.where([True, False, True], -1.0, x)),
    S('index_copy', lambda L, x, s: x.index_copy(0, _index(x, [2, 0]), s), [(3, 2), (2, 2)],
      numpy=lambda x, s: np.array([s[1], x[1], s[0]])),
    S('masked_fill', lambda L, a: L.masked_fill(a, a > 0, 0.5), [(3, 4)],
      numpy=lambda a: np.where(a > 0, 0.5, a)),
    S('masked_fill tensor value', lambda L, a, v: a.masked_fill(a < 0, v), [(3, 4), ()],
      numpy=lambda a, v: np.where(a < 0, v, a)),
    S('masked_fill broadcast mask', lambda L, a, m: a.masked_fill(m > 0, 2.0), [(3, 4), (4,)],
      numpy=lambda a, m: np.where(m > 0, 2.0, a)),
    S('masked_select', lambda L, a: L.masked_select(a, a > 0), [(3, 4)],
      numpy=lambda a: a[a > 0]),
    # matrices
    S('mm', lambda L, a, b: L.mm(a, b), [(2, 3), (3, 4)], numpy=np.matmul),
    S('bmm', lambda L, a, b: a.bmm(b), [(2, 2, 3), (2, 3, 4)], numpy=np.matmul),
    S('mv', lambda L, a, b: L.mv(a, b), [(2, 3), (3,)], numpy=np.matmul),
    S('dot', lambda L, a, b: L.dot(a, b), [(3,), (3,)], numpy=np.dot),
    S('outer', lambda L, a, b: a.outer(b), [(3,), (4,)], numpy=np.outer),
    S('addmm', lambda L, c, a, b: L.addmm(c, a, b, beta=0.5, alpha=2), [(3,), (2, 4), (4, 3)],
      numpy=lambda c, a, b: 0.5 * c + 2 * a @ b),
    S('addmm method', lambda L, c, a, b: c.addmm(a, b), [(2, 3), (2, 4), (4, 3)],
      numpy=lambda c, a, b: c + a @ b),
    S('cross', lambda L, a, b: L.cross(a, b, dim=1), [(2, 3), (2, 3)],
      numpy=lambda a, b: np.cross(a, b, axis=1)),
    S('cross broadcast', lambda L, a, b: a.cross(b, dim=0), [(3, 2), (3, 1)],
      numpy=lambda a, b: np.cross(a, b, axis=0)),
    S('tensordot', lambda L, a, b: L.tensordot(a, b), [(2, 3, 4), (3, 4, 2)],
      numpy=lambda a, b: np.tensordot(a, b)),
    S('tensordot dims', lambda L, a, b: L.tensordot(a, b, dims=([0, 2], [2, 0])),
      [(2, 3, 4), (4, 5, 2)], numpy=lambda a, b: np.tensordot(a, b, axes=([0, 2], [2, 0]))),
    S('cdist', lambda L, a, b: L.cdist(a, b), [(3, 4), (2, 4)],
      numpy=lambda a, b: np.sqrt(((a[:, None] - b[None]) ** 2).sum(-1))),
    S('cdist p=1 batch', lambda L, a, b: L.cdist(a, b, p=1), [(2, 3, 4), (2, 2, 4)],
      numpy=lambda a, b: np.abs(a[:, :, None] - b[:, None]).sum(-1)),
    S('einsum matmul', lambda L, a, b: L.einsum('ij,jk->ik', a, b), [(2, 3), (3, 4)],
      numpy=np.matmul),
    S('einsum batch', lambda L, a, b: L.einsum('bij,bjk->bik', a, b), [(2, 2, 3), (2, 3, 2)],
      numpy=np.matmul),
    S('einsum implicit', lambda L, a, b: L.einsum('ji,jk', a, b), [(3, 2), (3, 4)],
      numpy=lambda a, b: a.T @ b),
    S('einsum sum out', lambda L, a: L.einsum('ij->', a), [(2, 3)], numpy=np.sum),
    S('einsum row sums', lambda L, a, b: L.einsum('ij,k->ik', a, b), [(2, 3), (4,)],
      numpy=lambda a, b: np.einsum('ij,k->ik', a, b)),
    S('einsum trace', lambda L, a: L.einsum('ii', a), [(3, 3)], numpy=np.trace),
    S('einsum diagonal', lambda L, a: L.einsum('ii->i', a), [(3, 3)], numpy=np.diag),
    S('einsum batch diagonal', lambda L, a: L.einsum('bii->bi', a), [(2, 3, 3)],
      numpy=lambda a: np.einsum('bii->bi', a)),
    S('einsum ellipsis', lambda L, a, b: L.einsum('...ij,...jk->...ik', a, b),
      [(2, 1, 2, 3), (4, 3, 2)], numpy=lambda a, b: a @ b),
    S('einsum ellipsis implicit', lambda L, a: L.einsum('...ij', a), [(2, 3, 4)],
      numpy=lambda a: a),
    S('einsum list', lambda L, a, b, c: L.einsum('i,j,k->ijk', [a, b, c]), [(2,), (3,), (2,)],
      numpy=lambda a, b, c: np.einsum('i,j,k->ijk', a, b, c)),
    S('einsum outer transpose', lambda L, a, b: L.einsum('i, j -> j i', a, b), [(2,), (3,)],
      numpy=lambda a, b: np.outer(b, a)),
    S('norm', lambda L, a: L.norm(a), [(3, 4)], numpy=np.linalg.norm),
    S('norm dim', lambda L, a: a.norm(dim=1), [(3, 4)], numpy=lambda a: np.linalg.norm(a, axis=1)),
    S('norm fro dims', lambda L, a: a.norm('fro', dim=(1, 2), keepdim=True), [(2, 3, 4)],
      numpy=lambda a: np.sqrt((a * a).sum((1, 2), keepdims=True))),
    S('norm p=1', lambda L, a: L.norm(a, 1, 0), [(3, 4)], numpy=lambda a: np.abs(a).sum(0)),
    S('norm p=3', lambda L, a: a.norm(p=3, dim=-1), [(3, 4)],
      numpy=lambda a: (np.abs(a) ** 3).sum(-1) ** (1 / 3)),
    S('norm inf', lambda L, a: a.norm(float('inf'), 1), [(3, 4)], distinct,
      lambda a: np.abs(a).max(1)),
    S('norm -inf', lambda L, a: L.norm(a, -float('inf')), [(3, 4)], distinct,
      lambda a: np.abs(a).min()),
    S('diagonal', lambda L, a: L.diagonal(a), [(3, 4)], numpy=np.diagonal),
    S('diagonal offset dims', lambda L, a: a.diagonal(-1, 2, 0), [(3, 2, 4)],
      numpy=lambda a: np.diagonal(a, -1, 2, 0)),
    S('diag of vector', lambda L, a: L.diag(a, 1), [(3,)], numpy=lambda a: np.diag(a, 1)),
    S('diag of matrix', lambda L, a: a.diag(-1), [(3, 4)], numpy=lambda a: np.diag(a, -1)),
    S('trace', lambda L, a: L.trace(a), [(3, 4)], numpy=np.trace),
    S('tril', lambda L, a: L.tril(a), [(3, 4)], numpy=np.tril),
    S('triu batch offset', lambda L, a: a.triu(1), [(2, 3, 4)],
      numpy=lambda a: np.triu(a, 1)),
    S('tril negative offset', lambda L, a: a.tril(diagonal=-1), [(4, 3)],
      numpy=lambda a: np.tril(a, -1)),
    # rearranging
    S('flip', lambda L, a: L.flip(a, (0, 2)), [(2, 3, 4)], numpy=lambda a: np.flip(a, (0, 2))),
    S('flip method int', lambda L, a: a.flip(1), [(2, 3)], numpy=lambda a: np.flip(a, 1)),
    S('fliplr flipud', lambda L, a: L.fliplr(a) + a.flipud(), [(3, 3)],
      numpy=lambda a: np.fliplr(a) + np.flipud(a)),
    S('roll', lambda L, a: L.roll(a, 1, 0), [(3, 4)], numpy=lambda a: np.roll(a, 1, 0)),
    S('roll flattened', lambda L, a: a.roll(-5), [(3, 4)], numpy=lambda a: np.roll(a, -5)),
    S('roll several', lambda L, a: a.roll((1, -2), (1, 0)), [(3, 4)],
      numpy=lambda a: np.roll(a, (1, -2), (1, 0))),
    S('repeat', lambda L, a: a.repeat(2, 1, 3), [(2, 3)], numpy=lambda a: np.tile(a, (2, 1, 3))),
    S('repeat tuple', lambda L, a: a.repeat((3, 2)), [(2,)], numpy=lambda a: np.tile(a, (3, 2))),
    S('tile', lambda L, a: L.tile(a, (2,)), [(2, 3)], numpy=lambda a: np.tile(a, (1, 2))),
    S('repeat_interleave', lambda L, a: L.repeat_interleave(a, 2, dim=1), [(2, 3)],
      numpy=lambda a: np.repeat(a, 2, 1)),
    S('repeat_interleave flat', lambda L, a: a.repeat_interleave(3), [(2, 2)],
      numpy=lambda a: np.repeat(a, 3)),
    S('chunk', lambda L, a: L.chunk(a, 3, 1), [(2, 5)],
      numpy=lambda a: tuple(np.split(a, [2, 4], 1))),
    S('chunk fewer', lambda L, a: a.chunk(4), [(6, 2)],
      numpy=lambda a: tuple(np.split(a, [2, 4], 0))),
    S('unbind', lambda L, a: L.unbind(a, 1), [(2, 3)], numpy=lambda a: tuple(a.T)),
    S('narrow', lambda L, a: L.narrow(a, 1, 1, 2), [(3, 4)], numpy=lambda a: a[:, 1:3]),
    S('narrow negative start', lambda L, a: a.narrow(0, -2, 2), [(3, 4)],
      numpy=lambda a: a[1:]),
    S('select', lambda L, a: L.select(a, 1, -1), [(3, 4)], numpy=lambda a: a[:, -1]),
    S('movedim', lambda L, a: L.movedim(a, 0, 2), [(2, 3, 4)],
      numpy=lambda a: np.moveaxis(a, 0, 2)),
    S('movedim several', lambda L, a: a.movedim((0, 1), (2, 0)), [(2, 3, 4)],
      numpy=lambda a: np.moveaxis(a, (0, 1), (2, 0))),
    S('swapaxes', lambda L, a: L.swapaxes(a, 0, 2), [(2, 3, 4)],
      numpy=lambda a: np.swapaxes(a, 0, 2)),
    S('unflatten', lambda L, a: a.unflatten(1, (2, -1)), [(3, 6)],
      numpy=lambda a: a.reshape(3, 2, 3)),
    S('expand_as', lambda L, a, b: a.expand_as(b), [(3, 1), (2, 3, 4)],
      numpy=lambda a, b: np.broadcast_to(a, b.shape)),
    S('view_as reshape_as', lambda L, a, b: a.view_as(b) + a.reshape_as(b), [(2, 6), (3, 4)],
      numpy=lambda a, b: 2 * a.reshape(3, 4)),
    S('type_as', lambda L, a, b: a.type_as(b), [(3,), (2,)], numpy=lambda a, b: a),
    S('contiguous', lambda L, a: a.t().contiguous(), [(3, 4)], numpy=lambda a: a.T),
    S('meshgrid', lambda L, a, b: L.meshgrid(a, b, indexing='ij'), [(2,), (3,)],
      numpy=lambda a, b: tuple(np.meshgrid(a, b, indexing='ij'))),
    S('meshgrid xy', lambda L, a, b, c: L.meshgrid([a, b, c], indexing='xy'), [(2,), (3,), (4,)],
      numpy=lambda a, b, c: tuple(np.meshgrid(a, b, c, indexing='xy'))),
    S('diff', lambda L, a: L.diff(a), [(3, 4)], numpy=lambda a: np.diff(a)),
    S('rot90', lambda L, a: L.rot90(a), [(2, 3)], numpy=np.rot90),
    S('rot90 k and dims', lambda L, a: (a.rot90(2, (1, 2)), a.rot90(3, [0, 2]), a.rot90(-1)),
      [(2, 3, 4)], numpy=lambda a: (np.rot90(a, 2, (1, 2)), np.rot90(a, 3, (0, 2)),
                                    np.rot90(a, -1))),
    S('unfold', lambda L, a: a.unfold(1, 3, 2), [(2, 7)],
      numpy=lambda a: np.stack([a[:, 0:3], a[:, 2:5], a[:, 4:7]], 1)),
    S('unfold overlapping dim 0', lambda L, a: a.unfold(0, 2, 1), [(4, 3)],
      numpy=lambda a: np.stack([a[i:i + 2].T for i in range(3)])),
    S('broadcast_tensors', lambda L, a, b: L.broadcast_tensors(a, b), [(2, 1), (3,)],
      numpy=lambda a, b: tuple(np.broadcast_arrays(a, b))),
    S('std_mean', lambda L, a: L.std_mean(a, 1), [(3, 4)],
      numpy=lambda a: (a.std(1, ddof=1), a.mean(1))),
    S('var_mean', lambda L, a: L.var_mean(a, dim=0, keepdim=True), [(3, 4)],
      numpy=lambda a: (a.var(0, ddof=1, keepdims=True), a.mean(0, keepdims=True))),
    S('diff n=2 dim 0', lambda L, a: a.diff(n=2, dim=0), [(4, 3)],
      numpy=lambda a: np.diff(a, 2, 0)),
    S('hstack', lambda L, a, b: L.hstack([a, b]), [(2, 3), (2, 1)],
      numpy=lambda a, b: np.hstack([a, b])),
    S('vstack', lambda L, a, b: L.vstack((a, b)), [(3,), (2, 3)],
      numpy=lambda a, b: np.vstack([a, b])),
]


def _np_scatter(x, index, src):
    out = x.copy()
    for i, row in enumerate(index):
        for j, k in enumerate(row):
            out[k, j] = src[i, j]
    return out


def _np_scatter_add(x, index, src):
    out = x.copy()
    for i, row in enumerate(index):
        for j, k in enumerate(row):
            out[i, k] += src[i, j]
    return out


def _inputs(spec, seed=0):
    rng = np.random.default_rng(seed)
    return [np.asarray(spec.sampler(shape, rng), dtype=np.float64) for shape in spec.shapes]


def _flat(out):
    return list(out) if isinstance(out, (tuple, list)) else [out]


IDS = [s.name for s in SPECS]


@pytest.mark.parametrize('spec', SPECS, ids=IDS)
def test_forward_matches_numpy(spec, device):
    arrays = _inputs(spec)
    outs = _flat(spec.fn(mdl, *[mdl.tensor(a, device=device) for a in arrays]))
    expected = _flat(spec.numpy(*arrays))
    assert len(outs) == len(expected)
    for out, want in zip(outs, expected):
        assert out.shape == np.shape(want)
        np.testing.assert_allclose(to_numpy(out), want, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize('spec', SPECS, ids=IDS)
def test_gradients_match_finite_differences(spec, device):
    xs = [mdl.tensor(a, device=device, requires_grad=True) for a in _inputs(spec)]
    assert mdl.gradcheck(lambda *t: spec.fn(mdl, *t), xs)


SECOND_ORDER = ['log1p', 'expm1', 'log2', 'exp2', 'tan', 'asin', 'sinh', 'erf', 'atan2',
                'remainder', 'prod with zeros', 'cumsum', 'cumprod with zeros', 'norm dim',
                'norm fro dims', 'einsum matmul', 'einsum row sums', 'einsum diagonal',
                'diagonal offset dims', 'diag of vector', 'flip', 'roll several', 'gather',
                'scatter', 'sort values', 'repeat', 'lerp', 'addcdiv method',
                'masked_fill tensor value', 'cdist', 'tensordot dims', 'diff n=2 dim 0',
                'logaddexp', 'xlogy', 'unfold overlapping dim 0', 'cross']


@pytest.mark.parametrize('name', SECOND_ORDER)
def test_second_derivatives_match_finite_differences(name):
    spec = next(s for s in SPECS if s.name == name)
    xs = [mdl.tensor(a, requires_grad=True) for a in _inputs(spec)]
    assert mdl.gradgradcheck(lambda *t: spec.fn(mdl, *t), xs)


@pytest.mark.parametrize('spec', SPECS, ids=IDS)
def test_values_dtypes_and_gradients_match_pytorch(spec):
    torch = pytest.importorskip('torch')
    if spec.torch is None:
        pytest.skip(f"PyTorch fails on {spec.name}")
    arrays = _inputs(spec, seed=1)
    for dtype in ('float32', 'float64'):
        ours = [mdl.tensor(a.astype(dtype), requires_grad=True) for a in arrays]
        theirs = [torch.tensor(a.astype(dtype), requires_grad=True) for a in arrays]
        outs, touts = _flat(spec.fn(mdl, *ours)), _flat(spec.fn(torch, *theirs))
        weights = [np.random.default_rng(2).standard_normal(o.shape) for o in outs]
        for out, tout in zip(outs, touts):
            assert str(out.dtype) == str(tout.dtype).replace('torch.', '')
            np.testing.assert_allclose(to_numpy(out), tout.detach().numpy(), rtol=1e-5,
                                       atol=1e-6)
        if spec.torch == 'values':
            continue
        _weighted(mdl, outs, weights).backward()
        _weighted(torch, touts, weights).backward()
        for x, tx in zip(ours, theirs):
            want = np.zeros(x.shape) if tx.grad is None else tx.grad.numpy()
            got = np.zeros(x.shape) if x.grad is None else to_numpy(x.grad)
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def _weighted(L, outs, weights):
    total = 0
    for out, w in zip(outs, weights):
        total = total + (out * L.tensor(w, dtype=out.dtype)).sum()
    return total
