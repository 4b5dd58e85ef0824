"""cupy.cuda of the CuPy double: Device (a context manager that makes a fake GPU current) and the
runtime. No streams, events, memory pools or kernels."""
from . import curand, runtime


class Device:
    """cupy.cuda.Device(i): ``with Device(1):`` makes device 1 current for the block (a device
    that does not exist fails there, as cudaSetDevice does). Device() is the current device."""
    __slots__ = ('id', '_previous')
    __hash__ = None      # unsure: CuPy's Cython class defines rich comparison and no __hash__

    def __init__(self, device=None):
        self.id = runtime.getDevice() if device is None else int(device)
        self._previous = []

    def __int__(self):
        return self.id

    def __enter__(self):
        self._previous.append(runtime.getDevice())
        if self.id != self._previous[-1]:
            runtime.setDevice(self.id)
        return self

    def __exit__(self, *exc):
        runtime.setDevice(self._previous.pop())

    def __repr__(self):
        return f'<CUDA Device {self.id}>'

    def __eq__(self, other):
        return isinstance(other, Device) and self.id == other.id

    def __ne__(self, other):
        return not self == other

    def use(self):
        runtime.setDevice(self.id)
        return self

    def synchronize(self):
        """Nothing to wait for, but a synchronisation all the same (allow_synchronize)."""
        from ..._device import declare_synchronize
        declare_synchronize()


def get_device_id():
    return runtime.getDevice()


def is_available():
    return runtime.getDeviceCount() > 0
