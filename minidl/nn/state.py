"""Loading a state_dict into a Module: every check first, then the copies (all or nothing)."""
import collections

from .. import backend
from ..tensor import Tensor

IncompatibleKeys = collections.namedtuple('IncompatibleKeys', ['missing_keys', 'unexpected_keys'])


def load_state_dict(root, state_dict, strict=True):
    """Copy ``state_dict`` into ``root``'s parameters and buffers: root.load_state_dict (see
    Module.load_state_dict)."""
    if not hasattr(state_dict, 'items'):
        raise TypeError(f"load_state_dict expects a dict of name -> Tensor or array, got "
                        f"{type(state_dict).__name__}")
    still_lazy = []     # keys of lazy layers that the state_dict could not build
    for prefix, module in root.named_modules():
        build = getattr(module, '_build_from_state', None)
        if build is not None:
            still_lazy += build(state_dict, prefix + '.' if prefix else '', root)
    own = root.state_dict(keep_vars=True)
    missing = [k for k in own if k not in state_dict]
    missing += [k for k in still_lazy if k not in missing]
    unexpected = [k for k in state_dict if k not in own]
    updates, errors = _matched(own, state_dict)
    if strict and unexpected:
        errors.insert(0, 'Unexpected key(s) in state_dict: '
                      + ', '.join(f'"{k}"' for k in unexpected) + '.')
    if strict and missing:
        errors.insert(0, 'Missing key(s) in state_dict: '
                      + ', '.join(f'"{k}"' for k in missing) + '.')
    if errors:
        raise RuntimeError(f"Error(s) in loading state_dict for {type(root).__name__}:\n\t"
                           + '\n\t'.join(errors))
    for target, array in updates:   # only after every check passed: all or nothing
        target.array[...] = backend.to_device(array, target.device).astype(target.dtype,
                                                                        copy=False)
        target._version_counter.count += 1
    return IncompatibleKeys(missing, unexpected)


def _matched(own, state_dict):
    """(target tensor, stored array) pairs that fit, and the errors of those that do not."""
    updates, errors = [], []
    for key, target in own.items():
        if key not in state_dict:
            continue
        value = state_dict[key]
        array = value.array if isinstance(value, Tensor) else value
        if not hasattr(array, 'shape') or not hasattr(array, 'dtype'):
            array = backend.host_array(array)
        if tuple(array.shape) != tuple(target.shape):
            errors.append(f"size mismatch for {key}: copying a param with shape "
                          f"{tuple(array.shape)} from checkpoint, the shape in current model "
                          f"is {tuple(target.shape)}.")
        elif not backend.can_cast(array.dtype, target.dtype, 'same_kind'):
            errors.append(f"dtype mismatch for {key}: cannot copy {array.dtype} values from "
                          f"checkpoint into {target.dtype} in current model.")
        else:
            updates.append((target, array))
    return updates, errors
