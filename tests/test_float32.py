"""No silent float64: a float32 model keeps its parameters, every activation, every gradient and
its optimizer state in float32 through a few training steps (issue 6). The model passes through
every kind of layer the examples and benchmarks use, a Winograd convolution included."""
import numpy as np
import pytest

import minidl as mdl
import minidl.functional as F
from minidl import nn, optim
from minidl.functional.conv import strategies as conv_module


def _model():
    return nn.Sequential([
        nn.Conv2d(3, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(),
        nn.Conv2d(64, 64, 3, padding=1, bias=False), nn.LeakyReLU(0.1),  # Winograd (patched)
        nn.MaxPool2d(2), nn.Conv2d(64, 8, 1), nn.GELU(), nn.AvgPool2d(2, padding=1),
        nn.Dropout(0.1), nn.Flatten(), nn.Dense(16), nn.Tanh(), nn.Dense(5)])


@pytest.mark.parametrize('opt_name', ['Adam', 'AdamW', 'SGD', 'RMSprop', 'Adagrad'])
def test_a_float32_model_stays_float32_through_training(device, opt_name, monkeypatch):
    monkeypatch.setattr(conv_module, 'WINOGRAD_MIN_OUTPUTS', 1)
    monkeypatch.setattr(conv_module, 'WINOGRAD_MIN_MACS', 1)
    model = _model().to(device)
    x = mdl.randn(4, 3, 9, 9, device=device)
    y = mdl.randint(0, 5, (4,), device=device)
    model(x)                           # the lazy Dense layers take their shapes
    opt = getattr(optim, opt_name)(model.parameters(), lr=1e-3)
    sched = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=3)
    dtypes = []
    hooks = [m.register_forward_hook(lambda mod, inp, out: dtypes.append((type(mod).__name__,
                                                                          out.dtype)))
             for m in model]
    for _ in range(3):
        dtypes.clear()
        loss = F.cross_entropy(model(x), y, label_smoothing=0.1)
        assert loss.dtype == mdl.float32
        opt.zero_grad()
        loss.backward()
        assert all(dt == mdl.float32 for _, dt in dtypes), dtypes
        for name, p in model.named_parameters():
            assert p.dtype == mdl.float32 and p.grad.dtype == mdl.float32, name
        opt.step()
        sched.step()
    for h in hooks:
        h.remove()
    for name, p in model.named_parameters():
        assert p.dtype == mdl.float32, name
    for name, b in model.named_buffers():
        assert b.dtype in (mdl.float32, mdl.int64), name
    for state in opt.state_dict()['state'].values():
        for key, value in state.items():
            if hasattr(value, 'dtype'):
                assert np.asarray(mdl.backend.to_numpy(value)).dtype == np.float32 or \
                    np.asarray(mdl.backend.to_numpy(value)).dtype.kind == 'i', (key, value.dtype)
