"""Channel dropout: dropout1d, dropout2d and dropout3d zero whole channels of (N, C, *) inputs
(every value of a channel of a sample together), which suits convolutional feature maps, whose
neighbouring values are strongly correlated; the kept channels are scaled by 1 / (1 - p).
"""
import warnings

from .. import validate
from ..ops.inplace import update_
from .basic import Dropout, _scaled_mask

__all__ = ['dropout1d', 'dropout2d', 'dropout3d']


def _feature_dropout(name, input, p, training, inplace, batched=True):
    """Zero whole channels: each (sample, channel) of input (N, C, *) (or channel of an
    unbatched (C, *)) is dropped with probability p, all its values together, and the rest are
    scaled by 1 / (1 - p)."""
    p = validate.number(name, 'p', p, 0, 1)
    validate.floating(name, 'input', input)
    if not training or p == 0:
        return input
    leading = 2 if batched else 1
    mask = _scaled_mask(input, p, input.shape[:leading] + (1,) * (input.ndim - leading))
    return update_(input, Dropout(mask), reads_target=False) if inplace else Dropout(mask)(input)


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Channel dropout for (N, C, L) or unbatched (C, L) inputs: each channel of each sample is
    zeroed with probability p, the others scaled by 1 / (1 - p). Identity when not training."""
    validate.tensor('dropout1d', 'input', input)
    if input.ndim not in (2, 3):
        raise ValueError(f"dropout1d: expected a 2-D (C, L) or 3-D (N, C, L) input, got shape "
                         f"{tuple(input.shape)}")
    return _feature_dropout('dropout1d', input, p, training, inplace, input.ndim == 3)


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Channel dropout for (N, C, H, W) inputs: each channel of each sample is zeroed with
    probability p, the others scaled by 1 / (1 - p). As PyTorch, a 3-D input is taken as
    (N, C, L) (with its warning: use dropout1d for that)."""
    validate.tensor('dropout2d', 'input', input)
    if input.ndim not in (3, 4):
        warnings.warn(f"dropout2d: Received a {input.ndim}-D input to dropout2d, which is "
                      "deprecated; dropout2d is for (N, C, H, W) or (C, H, W) inputs (use "
                      "dropout instead)", stacklevel=2)
    elif input.ndim == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that "
                      "channel-wise 1D dropout behavior is desired - input is interpreted as "
                      "shape (N, C, L); use dropout1d for that", stacklevel=2)
    return _feature_dropout('dropout2d', input, p, training, inplace)


def dropout3d(input, p=0.5, training=True, inplace=False):
    """Channel dropout for (N, C, D, H, W) or unbatched (C, D, H, W) inputs."""
    validate.tensor('dropout3d', 'input', input)
    if input.ndim not in (4, 5):
        raise ValueError(f"dropout3d: expected a 4-D (C, D, H, W) or 5-D (N, C, D, H, W) "
                         f"input, got shape {tuple(input.shape)}")
    return _feature_dropout('dropout3d', input, p, training, inplace, input.ndim == 5)
