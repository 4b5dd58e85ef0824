"""cupy.cuda.runtime of the CuPy double: the fake devices ($MINIDL_FAKE_CUDA_DEVICES of them,
1 by default)."""
from ..._device import CUDARuntimeError, current_device, device_count, set_current_device  # noqa


def getDeviceCount():
    return device_count()


def getDevice():
    return current_device()


def setDevice(device):
    set_current_device(int(device))


def deviceSynchronize():
    """Nothing to wait for: the double runs every kernel at once."""
