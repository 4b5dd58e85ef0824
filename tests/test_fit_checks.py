"""fit and evaluate report the same figures in every dtype, and stop on a NaN or infinite loss."""
import warnings

import numpy as np
import pytest

import minidl as mdl
import minidl.nn as nn
import minidl.optim as optim
from minidl.data import DataLoader, TensorDataset
from minidl.train import Callback, EarlyStopping, evaluate, fit

pytestmark = pytest.mark.filterwarnings('ignore:overflow encountered:RuntimeWarning',
                                        'ignore:invalid value encountered:RuntimeWarning')


def _blobs(dtype, n=240):
    rng = np.random.default_rng(0)
    y = np.arange(n) % 3
    x = np.array([[0.0, 3.0], [3.0, -2.0], [-3.0, -2.0]])[y] + rng.normal(scale=0.5, size=(n, 2))
    return TensorDataset(mdl.tensor(x, dtype=dtype), mdl.tensor(y))


def _run(dtype, device='cpu', epochs=3, scheduler=None, **fit_kwargs):
    mdl.manual_seed(0)
    model = nn.Sequential([nn.Dense(2, 16), nn.ReLU(), nn.Dense(16, 3)]).to(device, dtype=dtype)
    opt = optim.SGD(model.parameters(), lr=0.1)
    loader = DataLoader(_blobs(dtype), batch_size=32, device=device)
    history = fit(model, loader, nn.CrossEntropyLoss(), opt, epochs=epochs, progress=False,
                  scheduler=scheduler(opt) if scheduler else None, **fit_kwargs)
    return history, evaluate(model, loader, nn.CrossEntropyLoss()), model


def test_a_float64_model_reports_the_figures_of_its_float32_twin(device):
    h32, e32, _ = _run(mdl.float32, device)
    h64, e64, model = _run(mdl.float64, device)
    assert model[0].weight.dtype == mdl.float64
    assert set(h64) == set(h32) == {'loss', 'accuracy', 'lr'}
    assert set(e64) == set(e32) == {'loss', 'accuracy'}
    np.testing.assert_allclose(h64['loss'], h32['loss'], rtol=1e-4)
    assert h64['accuracy'] == h32['accuracy']
    assert e64['loss'] == pytest.approx(e32['loss'], rel=1e-4)
    assert all(type(v) is float for v in h64['loss'] + [e64['loss'], e64['accuracy']])


def test_what_reads_the_loss_works_in_float64():
    # ReduceLROnPlateau on the training loss and EarlyStopping on 'loss' both need it
    def plateau(opt):
        return optim.lr_scheduler.ReduceLROnPlateau(opt, patience=0, factor=0.5, threshold=10.0)
    stopper = EarlyStopping(monitor='loss', patience=0, min_delta=10.0)
    history, _, _ = _run(mdl.float64, epochs=4, scheduler=plateau, callbacks=[stopper])
    assert history['lr'][:2] == [0.1, 0.05]        # the plateau halved it after epoch 1
    assert stopper.stopped_epoch == 1 and len(history['loss']) == 2


class _NoSync:
    """A loader whose batches are trained on inside cupyx.allow_synchronize(False): reading a
    value back from the GPU during a training step is an error."""

    def __init__(self, loader):
        self.loader = loader

    def __len__(self):
        return len(self.loader)

    def __iter__(self):
        import cupyx
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')          # allow_synchronize itself is deprecated
            with cupyx.allow_synchronize(False):
                yield from self.loader


def _diverging(device='cpu', epochs=4, **fit_kwargs):
    """A regression whose learning rate is far too high: the loss overflows to inf, then NaN."""
    mdl.manual_seed(0)
    x = mdl.randn(256, 4)
    data = TensorDataset(x, x.sum(1, keepdim=True))
    model = nn.Sequential([nn.Dense(4, 1)]).to(device)
    opt = optim.SGD(model.parameters(), lr=10.0)
    loader = DataLoader(data, batch_size=16, device=device)
    return model, fit(model, loader if device == 'cpu' else _NoSync(loader), nn.MSELoss(), opt,
                      epochs=epochs, progress=False, metrics=(), **fit_kwargs)


def test_fit_stops_when_the_loss_stops_being_finite(device):
    seen = []

    class Watch(Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen.append(dict(logs))

    with pytest.warns(RuntimeWarning) as record:
        model, history = _diverging(device, callbacks=[Watch()])
    message = str(next(w.message for w in record if 'fit:' in str(w.message)))
    assert 'the training loss is inf' in message or 'the training loss is nan' in message
    assert 'learning rate too high' in message and 'detect_anomaly()' in message
    assert 'stop_on_nan=False' in message
    assert history.epoch == [0] and not np.isfinite(history['loss'][0])
    assert len(seen) == 1 and not np.isfinite(seen[0]['loss'])  # callbacks saw the epoch
    if device == 'cpu':        # at the batch: reading the loss costs nothing there
        assert message.startswith('fit: training stopped in epoch 1/4, batch ')
        assert len(history.step_lr) < 256 // 16
    else:                      # at the epoch's end: no GPU sync after every batch (_NoSync)
        assert message.startswith('fit: training stopped in epoch 1/4: the training loss')
        assert len(history.step_lr) == 256 // 16


def test_stop_on_nan_false_trains_every_epoch():
    with warnings.catch_warnings():
        warnings.simplefilter('error', RuntimeWarning)        # no fit warning ...
        warnings.filterwarnings('ignore', 'overflow|invalid', RuntimeWarning)   # (NumPy's)
        _, history = _diverging(stop_on_nan=False)
    assert history.epoch == [0, 1, 2, 3] and np.isnan(history['loss'][-1])


def test_a_finite_run_is_not_stopped():
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        history, _, _ = _run(mdl.float32, epochs=2)
    assert history.epoch == [0, 1]
