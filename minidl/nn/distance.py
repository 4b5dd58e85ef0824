"""CosineSimilarity and PairwiseDistance: F.cosine_similarity and F.pairwise_distance as
layers (no parameters) taking two inputs."""
from .. import functional as F
from .. import validate
from .module import Module


class CosineSimilarity(Module):
    """cosine_similarity(x1, x2, dim, eps): the cosine of the angle between x1 and x2 along
    ``dim`` (removed from the output shape)."""

    def __init__(self, dim=1, eps=1e-8):
        super().__init__()
        self.dim = validate.integer('CosineSimilarity', 'dim', dim)
        self.eps = validate.number('CosineSimilarity', 'eps', eps, low=0)

    def forward(self, x1, x2):
        return F.cosine_similarity(x1, x2, self.dim, self.eps)


class PairwiseDistance(Module):
    """pairwise_distance(x1, x2, p, eps, keepdim): ||x1 - x2 + eps||_p over the last
    dimension, (N, D) inputs -> (N,)."""

    def __init__(self, p=2.0, eps=1e-6, keepdim=False):
        super().__init__()
        self.norm = validate.number('PairwiseDistance', 'p', p)
        self.eps = validate.number('PairwiseDistance', 'eps', eps)
        self.keepdim = bool(keepdim)

    def forward(self, x1, x2):
        return F.pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)
