"""Embedding: a table of learned vectors, one per index (a word, a category, a position)."""
from .. import backend, validate
from .. import functional as F
from ..tensor import make
from . import init
from .module import Module, Parameter


class Embedding(Module):
    """Looks up rows of weight (num_embeddings, embedding_dim), initialised N(0, 1), by integer
    indices: input (*) of int64 or int32 -> output (*, embedding_dim).

    padding_idx: a row kept at zeros at initialisation that gets no gradient (for padding
    tokens). max_norm: rows looked up are first renormalised in place to at most that
    norm_type-norm. scale_grad_by_freq: each row's gradient divided by how often its index
    occurs in the batch. sparse=True (sparse gradients) is not supported. ``_weight`` gives the
    table and ``_freeze`` makes it not require grad (see ``from_pretrained``). For
    ``summary``, the dry run's input is int64 zeros when the first layer is an Embedding.
    """
    input_dtype = backend.int64      # what summary()'s dry run feeds a model that starts here

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, max_norm=None,
                 norm_type=2.0, scale_grad_by_freq=False, sparse=False, _weight=None,
                 _freeze=False, device=None, dtype=None):
        super().__init__()
        self.num_embeddings = validate.integer('Embedding', 'num_embeddings', num_embeddings,
                                               minimum=0)
        self.embedding_dim = validate.integer('Embedding', 'embedding_dim', embedding_dim,
                                              minimum=0)
        if padding_idx is not None:
            padding_idx = validate.integer('Embedding', 'padding_idx', padding_idx,
                                           minimum=-self.num_embeddings)
            if padding_idx >= self.num_embeddings:
                raise ValueError(f"Embedding: padding_idx must be within num_embeddings "
                                 f"[-{num_embeddings}, {num_embeddings}), got {padding_idx}")
            padding_idx %= self.num_embeddings
        self.padding_idx, self.max_norm, self.norm_type = padding_idx, max_norm, norm_type
        self.scale_grad_by_freq, self.sparse = bool(scale_grad_by_freq), bool(sparse)
        if sparse:
            raise NotImplementedError("Embedding: sparse=True is not supported (minidl's "
                                      "gradients are dense arrays); use sparse=False")
        shape = (self.num_embeddings, self.embedding_dim)
        if _weight is None:
            with backend.on(device) as xp:
                array = xp.empty(shape, dtype=backend.dtype(dtype or backend.float32))
            self.weight = Parameter(make(array), requires_grad=not _freeze)
            self.reset_parameters()
        else:
            validate.shape('Embedding', '_weight', _weight, shape)
            self.weight = Parameter(_weight, requires_grad=not _freeze)

    def reset_parameters(self):
        """weight ~ N(0, 1), then the padding row set to zeros."""
        init.normal_(self.weight)
        if self.padding_idx is not None:
            self.weight.array[self.padding_idx] = 0

    def forward(self, input):
        return F.embedding(input, self.weight, self.padding_idx, self.max_norm, self.norm_type,
                           self.scale_grad_by_freq, self.sparse)

    @classmethod
    def from_pretrained(cls, embeddings, freeze=True, padding_idx=None, max_norm=None,
                        norm_type=2.0, scale_grad_by_freq=False, sparse=False):
        """An Embedding whose weight is ``embeddings`` (num_embeddings, embedding_dim), its
        memory shared; freeze=True (default) keeps it fixed (requires_grad=False)."""
        validate.tensor('Embedding.from_pretrained', 'embeddings', embeddings)
        if embeddings.ndim != 2:
            raise ValueError(f"Embedding.from_pretrained: embeddings must be 2-D "
                             f"(num_embeddings, embedding_dim), got shape "
                             f"{tuple(embeddings.shape)}")
        return cls(embeddings.shape[0], embeddings.shape[1], padding_idx, max_norm, norm_type,
                   scale_grad_by_freq, sparse, _weight=embeddings, _freeze=freeze)

    def extra_repr(self):
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        for name, default in (('padding_idx', None), ('max_norm', None), ('norm_type', 2.0),
                              ('scale_grad_by_freq', False), ('sparse', False)):
            if getattr(self, name) != default:
                s += f", {name}={getattr(self, name)}"
        return s
