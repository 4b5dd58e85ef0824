"""minidl.train: fit, evaluate, predict, callbacks and exact resumption from checkpoints."""
import os

import numpy as np
import pytest

import minidl as mdl
import minidl.nn as nn
import minidl.optim as optim
from minidl.data import DataLoader, TensorDataset
from minidl.train import (Callback, EarlyStopping, ModelCheckpoint, evaluate, fit,
                          load_checkpoint, predict, save_checkpoint)
from tests.conftest import to_numpy


def _blobs(n=300, seed=0):
    """Three well separated Gaussian blobs in 2-D: (n, 2) float32 and (n,) int64 labels."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 3
    centers = np.array([[0.0, 3.0], [3.0, -2.0], [-3.0, -2.0]])
    x = centers[y] + rng.normal(scale=0.5, size=(n, 2))
    return x.astype(np.float32), y.astype(np.int64)


def _mlp(device='cpu', dropout=0.0):
    layers = [nn.Dense(2, 32), nn.ReLU()]
    if dropout:
        layers.append(nn.Dropout(dropout))
    layers.append(nn.Dense(32, 3))
    return nn.Sequential(layers).to(device)


def _loaders(device='cpu', seed=None, batch_size=32):
    x, y = _blobs()
    train = DataLoader(TensorDataset(x[:240], y[:240]), batch_size=batch_size, shuffle=True,
                       seed=seed, device=device)
    val = DataLoader(TensorDataset(x[240:], y[240:]), batch_size=100, device=device)
    return train, val


def test_fit_learns_separable_problem(device):
    mdl.manual_seed(0)
    model = _mlp(device)
    train, val = _loaders(device)
    opt = optim.Adam(model.parameters(), lr=0.02)
    history = fit(model, train, nn.CrossEntropyLoss(), opt, epochs=8, val_data=val,
                  progress=False)
    assert set(history) >= {'loss', 'accuracy', 'val_loss', 'val_accuracy', 'lr'}
    assert all(len(v) == 8 for v in history.values()) and history.epoch == list(range(8))
    assert history['loss'][-1] < history['loss'][0]
    assert history['accuracy'][-1] > 0.95 and history['val_accuracy'][-1] > 0.95
    assert history['lr'] == [0.02] * 8
    assert model.training                         # fit restores the previous mode
    result = evaluate(model, val, nn.CrossEntropyLoss())
    assert result['accuracy'] == pytest.approx(history['val_accuracy'][-1])
    assert result['loss'] == pytest.approx(history['val_loss'][-1], rel=1e-5)
    assert model.training


def test_history_records_every_steps_learning_rate_and_extends():
    mdl.manual_seed(0)
    model = _mlp()
    x, y = _blobs(120)
    batches = [(mdl.tensor(x[i:i + 40]), mdl.tensor(y[i:i + 40])) for i in range(0, 120, 40)]
    opt = optim.SGD(model.parameters(), lr=0.1)
    cycle = optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=6)
    twin = optim.SGD([nn.Parameter(mdl.zeros(1))], lr=0.1)     # replays the schedule alone
    twin_cycle = optim.lr_scheduler.OneCycleLR(twin, max_lr=0.1, total_steps=6)
    expected = []
    for _ in range(6):
        expected.append(twin.param_groups[0]['lr'])
        twin.step()
        twin_cycle.step()
    history = fit(model, batches, nn.CrossEntropyLoss(), opt, epochs=1, scheduler=cycle,
                  progress=False)
    assert history.step_lr == expected[:3] and history['lr'] == [expected[0]]
    later = fit(model, batches, nn.CrossEntropyLoss(), opt, epochs=2, start_epoch=1,
                scheduler=cycle, progress=False)
    history.extend(later)
    assert history.epoch == [0, 1] and history.step_lr == expected
    assert history['lr'] == [expected[0], expected[3]] and len(history['loss']) == 2


def test_fit_accepts_plain_iterables_and_schedulers():
    mdl.manual_seed(0)
    model = _mlp()
    x, y = _blobs(120)
    batches = [(mdl.tensor(x[i:i + 40]), mdl.tensor(y[i:i + 40])) for i in range(0, 120, 40)]
    opt = optim.SGD(model.parameters(), lr=0.1)
    sched = optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    history = fit(model, batches, nn.CrossEntropyLoss(), opt, epochs=3, scheduler=sched,
                  progress=False)
    assert history['lr'] == [0.1, 0.05, 0.025]                 # stepped once per epoch
    opt = optim.SGD(model.parameters(), lr=0.1)
    cycle = optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=6)
    fit(model, batches, nn.CrossEntropyLoss(), opt, epochs=2, scheduler=cycle, progress=False)
    assert cycle.last_epoch == 6                                # stepped once per batch
    opt = optim.SGD(model.parameters(), lr=0.1)
    plateau = optim.lr_scheduler.ReduceLROnPlateau(opt, mode='max', patience=0, factor=0.5)
    history = fit(model, batches, nn.CrossEntropyLoss(), opt, epochs=3, scheduler=plateau,
                  progress=False)          # 'max' on a falling loss: epoch 2 is bad, lr halves
    assert history['lr'] == [0.1, 0.1, 0.05]


def test_progress_false_prints_nothing(capfd):
    model = _mlp()
    train, val = _loaders()
    fit(model, train, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), epochs=1,
        val_data=val, progress=False)
    out = capfd.readouterr()
    assert out.out == '' and out.err == ''


def test_progress_bar_on_a_terminal(monkeypatch, capsys):
    pytest.importorskip('tqdm')
    monkeypatch.setattr('sys.stdout.isatty', lambda: True, raising=False)
    model = _mlp()
    train, val = _loaders()
    fit(model, train, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), epochs=2,
        val_data=val)
    out = capsys.readouterr().out
    assert 'Epoch 1/2' in out and 'Epoch 2/2' in out and 'val_accuracy' in out


def test_evaluate_and_predict_restore_mode(device):
    model = _mlp(device, dropout=0.5)
    x, y = _blobs(50)
    model.eval()
    expected = to_numpy(model(mdl.tensor(x, device=device)))
    model.train()
    out = predict(model, x, batch_size=16)
    assert out.shape == (50, 3) and not out.requires_grad and model.training
    np.testing.assert_allclose(to_numpy(out), expected, rtol=1e-5, atol=1e-6)   # no dropout
    loader = DataLoader(TensorDataset(x, y), batch_size=20, device=device)
    np.testing.assert_allclose(to_numpy(predict(model, loader)), expected, rtol=1e-5, atol=1e-6)
    model.eval()
    result = evaluate(model, loader, nn.CrossEntropyLoss())
    assert not model.training
    acc = float((expected.argmax(1) == y).mean())
    assert result['accuracy'] == pytest.approx(acc)
    assert set(evaluate(model, loader)) == {'accuracy'}


def test_accuracy_needs_class_targets():
    model = nn.Sequential([nn.Dense(2, 1)])
    x, y = _blobs(20)
    data = [(mdl.tensor(x), mdl.tensor(y[:, None].astype(np.float32)))]
    with pytest.raises(ValueError, match='metrics=()'):
        fit(model, data, nn.MSELoss(), optim.SGD(model.parameters(), lr=0.01), epochs=1,
            progress=False)
    history = fit(model, data, nn.MSELoss(), optim.SGD(model.parameters(), lr=0.01), epochs=1,
                  progress=False, metrics=())
    assert 'accuracy' not in history


def test_callback_hooks_order():
    calls = []

    class Recorder(Callback):
        def on_train_begin(self, logs=None):
            calls.append('train_begin')

        def on_epoch_begin(self, epoch, logs=None):
            calls.append(f'epoch_begin{epoch}')

        def on_batch_end(self, batch, logs=None):
            assert isinstance(logs['loss'], float)
            calls.append('batch')

        def on_epoch_end(self, epoch, logs=None):
            assert {'loss', 'accuracy', 'lr'} <= set(logs)
            calls.append(f'epoch_end{epoch}')

        def on_train_end(self, logs=None):
            calls.append('train_end')

    model = _mlp()
    train, _ = _loaders(batch_size=120)
    fit(model, train, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), epochs=3,
        callbacks=[Recorder()], progress=False, start_epoch=1)
    assert calls == ['train_begin', 'epoch_begin1', 'batch', 'batch', 'epoch_end1',
                     'epoch_begin2', 'batch', 'batch', 'epoch_end2', 'train_end']


def test_early_stopping_stops_and_restores_best_weights():
    model = _mlp()
    train, val = _loaders()
    # lr=0 never improves val_loss after the first epoch: patience=2 stops at epoch index 2
    stopper = EarlyStopping(monitor='val_loss', patience=2, restore_best_weights=True)
    history = fit(model, train, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.0),
                  epochs=50, val_data=val, callbacks=[stopper], progress=False)
    assert len(history['loss']) == 3 and stopper.stopped_epoch == 2 and stopper.best_epoch == 0
    # diverging training: the best weights (epoch 0) come back at the end
    model = _mlp()
    stopper = EarlyStopping(monitor='val_accuracy', patience=1, restore_best_weights=True)
    opt = optim.SGD(model.parameters(), lr=0.05)
    fit(model, train, nn.CrossEntropyLoss(), opt, epochs=30, val_data=val, callbacks=[stopper],
        progress=False)
    assert stopper.mode == 'max'
    assert evaluate(model, val)['accuracy'] == pytest.approx(stopper.best)
    with pytest.raises(KeyError, match='val_data'):
        fit(model, train, nn.CrossEntropyLoss(), opt, epochs=1, callbacks=[EarlyStopping()],
            progress=False)


def test_model_checkpoint_saves_best_and_loads(tmp_path):
    mdl.manual_seed(0)
    model = _mlp()
    train, val = _loaders()
    opt = optim.Adam(model.parameters(), lr=0.01)
    path = tmp_path / 'best.npz'
    saver = ModelCheckpoint(path, monitor='val_loss')
    history = fit(model, train, nn.CrossEntropyLoss(), opt, epochs=4, val_data=val,
                  callbacks=[saver], progress=False)
    assert os.listdir(tmp_path) == ['best.npz']
    best_epoch = int(np.argmin(history['val_loss']))
    assert saver.best == pytest.approx(history['val_loss'][best_epoch])
    ckpt = mdl.load(path)
    assert ckpt['epoch'] == best_epoch + 1 and set(ckpt) >= {'model', 'optimizer', 'rng'}
    assert ckpt['metrics']['val_loss'] == pytest.approx(saver.best)
    fresh = _mlp()
    assert load_checkpoint(path, fresh, optim.Adam(fresh.parameters(), lr=0.01)) == best_epoch + 1
    assert evaluate(fresh, val, nn.CrossEntropyLoss())['loss'] == pytest.approx(saver.best,
                                                                              rel=1e-5)
    every = ModelCheckpoint(tmp_path / 'ep{epoch}.npz', save_best_only=False)
    fit(model, train, nn.CrossEntropyLoss(), opt, epochs=2, val_data=val, callbacks=[every],
        progress=False)
    assert {'ep1.npz', 'ep2.npz'} <= set(os.listdir(tmp_path))


def _run(tmp_path, epochs, loader_seed, schedule, stop_at=None, device='cpu'):
    """Train the dropout MLP; with stop_at, save a checkpoint after that many epochs and continue
    in freshly built objects. Returns (per-epoch losses, final weights)."""
    def build():
        model = _mlp(device, dropout=0.3)
        train, val = _loaders(device, seed=loader_seed)
        opt = optim.Adam(model.parameters(), lr=0.01)
        if schedule == 'onecycle':
            sched = optim.lr_scheduler.OneCycleLR(opt, max_lr=0.05, epochs=epochs,
                                                  steps_per_epoch=len(train))
        else:
            sched = optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
        return model, train, val, opt, sched

    mdl.manual_seed(1)
    model, train, val, opt, sched = build()
    loss_fn = nn.CrossEntropyLoss()
    if stop_at is None:
        h = fit(model, train, loss_fn, opt, epochs, val_data=val, scheduler=sched, progress=False)
        return h['loss'] + h['val_loss'], to_numpy(model[0].weight)
    h1 = fit(model, train, loss_fn, opt, stop_at, val_data=val, scheduler=sched, progress=False)
    path = tmp_path / 'resume.npz'
    save_checkpoint(path, model, opt, sched, epoch=stop_at, loader=train)
    mdl.manual_seed(12345)                    # different init and RNG: the checkpoint must win
    model, train, val, opt, sched = build()
    start = load_checkpoint(path, model, opt, sched, loader=train)
    h2 = fit(model, train, loss_fn, opt, epochs, val_data=val, scheduler=sched, progress=False,
             start_epoch=start)
    assert h2.epoch == list(range(stop_at, epochs))
    return (h1['loss'] + h2['loss'] + h1['val_loss'] + h2['val_loss'],
            to_numpy(model[0].weight))


@pytest.mark.parametrize('loader_seed,schedule', [(None, 'step'), (7, 'onecycle')])
def test_resume_equals_uninterrupted_run_exactly(tmp_path, loader_seed, schedule, device):
    full, w_full = _run(tmp_path, 5, loader_seed, schedule, device=device)
    resumed, w_resumed = _run(tmp_path, 5, loader_seed, schedule, stop_at=2, device=device)
    assert resumed == full                       # bit-for-bit, dropout and shuffling included
    np.testing.assert_array_equal(w_resumed, w_full)


def test_load_checkpoint_rejects_plain_state_dict(tmp_path):
    model = _mlp()
    mdl.save(model.state_dict(), tmp_path / 'w.npz')
    with pytest.raises(ValueError, match='not a training checkpoint'):
        load_checkpoint(tmp_path / 'w.npz', model)
    fresh = _mlp()
    fresh.load_state_dict(mdl.load(tmp_path / 'w.npz'))
    np.testing.assert_array_equal(to_numpy(fresh[2].weight), to_numpy(model[2].weight))


@pytest.mark.parametrize('save_on, load_on', [('cpu', 'cuda'), ('cuda', 'cpu')])
def test_a_checkpoint_moves_between_devices(tmp_path, save_on, load_on):
    if not mdl.cuda.is_available():
        pytest.skip('no CUDA device (or CuPy double: pytest --fake-cuda)')
    mdl.manual_seed(0)
    model = nn.Sequential([nn.Dense(2, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Dense(8, 3)])
    model.to(save_on)
    train, _ = _loaders(save_on)
    opt = optim.Adam(model.parameters(), lr=0.01)
    fit(model, train, nn.CrossEntropyLoss(), opt, epochs=2, progress=False)
    save_checkpoint(tmp_path / 'ckpt.npz', model, opt, epoch=2)
    model.eval()
    x = mdl.randn(5, 2)
    expected = to_numpy(model(x.to(save_on)))

    moved = nn.Sequential([nn.Dense(2, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Dense(8, 3)])
    moved.to(load_on)
    moved_opt = optim.Adam(moved.parameters(), lr=0.01)
    assert load_checkpoint(tmp_path / 'ckpt.npz', moved, moved_opt) == 2
    moved.eval()
    np.testing.assert_array_equal(to_numpy(moved(x.to(load_on))), expected)
    for name, buffer in moved.named_buffers():
        assert buffer.device == mdl.backend.canonical_device(load_on), name
    for state in moved_opt.state.values():
        for value in state.values():
            if hasattr(value, 'shape'):
                assert mdl.backend.device_of(value) == mdl.backend.canonical_device(load_on)
