"""The fake GPUs of the CuPy double: how many there are, which one is current (per thread, as
in CUDA), CuPy's check that a kernel's operands live on the current device, and its detection
of synchronisations (cupyx.allow_synchronize)."""
import contextlib
import os
import threading
import warnings

DEVICES_ENV = 'MINIDL_FAKE_CUDA_DEVICES'     # how many fake GPUs getDeviceCount() reports
_thread = threading.local()                  # .device: the current device (per thread, as CUDA)


class CUDARuntimeError(RuntimeError):
    """cupy_backends.cuda.api.runtime.CUDARuntimeError."""


def device_count():
    return int(os.environ.get(DEVICES_ENV, '1'))


def current_device():
    return getattr(_thread, 'device', 0)


def set_current_device(device_id):
    if not 0 <= device_id < device_count():
        raise CUDARuntimeError('cudaErrorInvalidDevice: invalid device ordinal')
    _thread.device = device_id


def check_devices(arrays):
    """A kernel runs on the current device and reads every operand from there. CuPy enables
    peer access between the GPUs when the hardware allows it and then only warns; the double
    emulates a machine without peer access, the strict case, as CuPy's _check_peer_access
    words it."""
    here = current_device()
    for a in arrays:
        if a._dev != here:
            raise ValueError(
                f'The device where the array resides ({a._dev}) is different from the current '
                f'device ({here}). Peer access is unavailable between these devices.')


# ---------------------------------------------------------------- synchronisation detection
class DeviceSynchronized(RuntimeError):
    """cupyx.DeviceSynchronized: raised, inside cupyx.allow_synchronize(False), by whatever
    waits for the device (in CuPy: get(), and so item(), float(), bool(), repr() ...)."""

    def __init__(self, message=None):
        super().__init__(message or 'Device synchronization was detected while disallowed.')


def declare_synchronize():
    if not getattr(_thread, 'sync_allowed', True):
        raise DeviceSynchronized()


@contextlib.contextmanager
def allow_synchronize(allow):
    """cupyx.allow_synchronize (deprecated in CuPy, which warns, but still there)."""
    warnings.warn('cupyx.allow_synchronize will be removed in future releases as it is not '
                  'possible to reliably detect synchronizations.')
    old = getattr(_thread, 'sync_allowed', True)
    _thread.sync_allowed = allow
    try:
        yield
    finally:
        _thread.sync_allowed = old
