"""What tests/test_distributed.py runs under ``mpiexec -n 2`` (and once without mpiexec).

    python tests/mpi_worker.py SCENARIO OUTDIR

Each process writes what it saw to OUTDIR/<name>-<rank>.npz or .json; the tests read the files
and compare them with single-process references computed in the test process. The models and
data are built here, once, for both sides.
"""
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)        # this worktree's minidl, not an installed one

import numpy as np  # noqa: E402

import minidl as mdl  # noqa: E402
import minidl.functional as F  # noqa: E402
from minidl import distributed as dist, nn, optim  # noqa: E402
from minidl.data import DataLoader, TensorDataset  # noqa: E402
from minidl.train import ModelCheckpoint, evaluate, fit, load_checkpoint  # noqa: E402

STEPS, BATCH = 3, 4            # equivalence: steps, and the batch of each of the 2 processes


# ------------------------------------------------------------------ shared with the tests
def equivalence_model(seed):
    """conv -> batch norm (eval mode: its running statistics, set non-trivially) -> ReLU -> max
    pool -> conv -> ReLU -> average pool -> dense, in float64."""
    mdl.manual_seed(seed)
    model = nn.Sequential([nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                           nn.MaxPool2d(2), nn.Conv2d(4, 6, 3), nn.ReLU(), nn.AvgPool2d(2),
                           nn.Flatten(), nn.Dense(6, 5)]).double()
    bn = model[1]
    bn.running_mean.array[...] = np.linspace(-0.2, 0.3, 4)
    bn.running_var.array[...] = np.linspace(0.5, 2.0, 4)
    bn.eval()                   # frozen statistics: the same in every process
    return model


def make_optimizer(name, params):
    if name == 'sgd':
        return optim.SGD(params, lr=0.1, momentum=0.9, weight_decay=1e-3)
    return optim.Adam(params, lr=0.01, weight_decay=1e-3)


def global_batches(steps=STEPS, batch=2 * BATCH):
    """``steps`` batches of ``batch`` (inputs (batch, 1, 10, 10) float64, labels (batch,))."""
    rng = np.random.default_rng(7)
    return [(rng.standard_normal((batch, 1, 10, 10)), rng.integers(0, 5, batch))
            for _ in range(steps)]


def train_steps(model, opt, batches, part=slice(None)):
    """SGD/Adam steps of mean cross-entropy on ``part`` of each batch."""
    for x, y in batches:
        opt.zero_grad()
        loss = F.cross_entropy(model(mdl.tensor(x[part])), mdl.tensor(y[part]))
        loss.backward()
        opt.step()


def blobs(n=240, seed=0):
    """Three Gaussian blobs in 2-D, float32 inputs and int64 labels."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 3
    centers = np.array([[0.0, 3.0], [3.0, -2.0], [-3.0, -2.0]])
    x = centers[y] + rng.normal(scale=1.2, size=(n, 2))
    return x.astype(np.float32), y.astype(np.int64)


def mlp(seed):
    mdl.manual_seed(seed)
    return nn.Sequential([nn.Dense(2, 16), nn.ReLU(), nn.Dense(16, 3)])


def params_of(model):
    return {k: mdl.backend.to_numpy(v.array).copy() for k, v in model.state_dict().items()}


# ------------------------------------------------------------------ scenarios
def _save(out, name, **arrays):
    np.savez(os.path.join(out, f'{name}-{dist.rank()}.npz'), **arrays)


def collectives(out):
    r = dist.rank()
    found = {}
    for dtype in (mdl.float32, mdl.float64):
        for op in ('sum', 'avg', 'max', 'min'):
            t = mdl.tensor([1.0 + r, 10.0 * r - 3.0], dtype=dtype)
            dist.all_reduce(t, op)
            found[f'{op}-{np.dtype(dtype).name}'] = t.numpy()
    t = mdl.arange(12, dtype=mdl.float64).reshape(3, 4) * (r + 1)
    view = t.transpose(0, 1)               # not contiguous: reduced through a copy, in place
    dist.all_reduce(view)
    found['strided'] = t.numpy()
    t = mdl.full((2, 3), float(r + 5))
    dist.broadcast(t, src=dist.world_size() - 1)      # the last rank's values win
    found['broadcast'] = t.numpy()
    parts = [mdl.zeros(3, dtype=mdl.int64) for _ in range(dist.world_size())]
    dist.all_gather(parts, mdl.tensor([r, 10 * r, 100 * r]))
    found['gathered'] = np.stack([p.numpy() for p in parts])
    _save(out, 'collectives', **found)


def sampler(out):
    data = TensorDataset(np.arange(11, dtype=np.float32))
    s = dist.DistributedSampler(data, seed=3)
    epochs = []
    for epoch in range(3):
        s.set_epoch(epoch)
        epochs.append(list(s))
    loader = DataLoader(data, batch_size=4, sampler=dist.DistributedSampler(data, shuffle=False))
    with open(os.path.join(out, f'sampler-{dist.rank()}.json'), 'w') as f:
        json.dump({'epochs': epochs, 'len': len(s), 'loader_len': len(loader),
                   'loaded': [b[0].numpy().tolist() for b in loader]}, f)


def equivalence(out):
    part = slice(dist.rank() * BATCH, (dist.rank() + 1) * BATCH)
    calls = []
    original = dist.group.all_reduce_array

    def counting(array, op='sum'):
        calls[-1] += 1
        return original(array, op)
    dist.group.all_reduce_array = counting
    try:
        for name in ('sgd', 'adam'):
            for cap in (25, 0.0002):            # one bucket, then one per parameter or two
                model = equivalence_model(seed=100 + dist.rank())   # rank 0's weights win
                ddp = dist.DistributedDataParallel(model, bucket_cap_mb=cap)
                opt = make_optimizer(name, ddp.parameters())
                calls.append(0)
                train_steps(ddp, opt, global_batches(), part)
                _save(out, f'equivalence-{name}-{cap}', buckets=len(ddp._buckets),
                      calls=calls[-1], **params_of(model))
    finally:
        dist.group.all_reduce_array = original


def no_sync(out):
    """Two micro-batches per step: the first under no_sync (no communication), the second
    averaging both. The mean over ranks of (mean(micro 1) + mean(micro 2)) is the gradient of
    2 * mean over the global batch."""
    part = slice(dist.rank() * BATCH, (dist.rank() + 1) * BATCH)
    half = BATCH // 2
    model = equivalence_model(seed=100)
    ddp = dist.DistributedDataParallel(model)
    opt = make_optimizer('sgd', ddp.parameters())
    calls, original = [0, 0], dist.group.all_reduce_array

    def counting(array, op='sum'):
        calls[ddp._sync] += 1
        return original(array, op)
    dist.group.all_reduce_array = counting
    try:
        for x, y in global_batches():
            x, y = mdl.tensor(x[part]), mdl.tensor(y[part])
            opt.zero_grad()
            with ddp.no_sync():
                F.cross_entropy(ddp(x[:half]), y[:half]).backward()
            F.cross_entropy(ddp(x[half:]), y[half:]).backward()
            opt.step()
    finally:
        dist.group.all_reduce_array = original
    _save(out, 'no_sync', calls_inside=calls[0], calls_after=calls[1], **params_of(model))


class _TwoHeads(nn.Module):
    """A model whose second head is left out of the loss."""

    def __init__(self):
        super().__init__()
        self.used, self.unused = nn.Dense(3, 2), nn.Dense(3, 2)

    def forward(self, x):
        return self.used(x)


def unused(out):
    ddp = dist.DistributedDataParallel(_TwoHeads())
    ddp(mdl.ones(4, 3)).sum().backward()
    try:
        ddp(mdl.ones(4, 3))
        message = None
    except RuntimeError as exc:
        message = str(exc)
    with open(os.path.join(out, f'unused-{dist.rank()}.json'), 'w') as f:
        json.dump({'message': message}, f)


def evaluation(out):
    x, y = blobs(200, seed=5)
    data = TensorDataset(x, y)
    loader = DataLoader(data, batch_size=32, sampler=dist.DistributedSampler(data, shuffle=False))
    result = evaluate(mlp(seed=3), loader, nn.CrossEntropyLoss())
    local = evaluate(mlp(seed=3), list(loader), nn.CrossEntropyLoss())   # not a sharded loader
    with open(os.path.join(out, f'evaluate-{dist.rank()}.json'), 'w') as f:
        json.dump({'global': result, 'local': local}, f)


def _fit_setup(seed=11):
    x, y = blobs()
    train = TensorDataset(x[:200], y[:200])
    loader = DataLoader(train, batch_size=16, sampler=dist.DistributedSampler(train, seed=seed))
    val_data = TensorDataset(x[200:], y[200:])
    val = DataLoader(val_data, batch_size=20,
                     sampler=dist.DistributedSampler(val_data, shuffle=False))
    model = dist.DistributedDataParallel(mlp(seed=1 + dist.rank()))
    opt = optim.Adam(model.parameters(), lr=0.02)
    sched = optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.7)
    return model, loader, val, opt, sched


def training(out):
    """fit with checkpoints: what is logged and written, exact resumption in 2 processes, and
    the resumption of a checkpoint written by 1 process (OUTDIR/one-process.npz)."""
    writes = []
    original = mdl.io.save
    mdl.io.save = lambda obj, path: (writes.append(str(path)), original(obj, path))[1]
    try:
        model, loader, val, opt, sched = _fit_setup()
        history = fit(model, loader, nn.CrossEntropyLoss(), opt, 3, val_data=val,
                      scheduler=sched, progress=True,
                      callbacks=[ModelCheckpoint(os.path.join(out, 'two-{epoch}.npz'),
                                                 save_best_only=False)])
    finally:
        mdl.io.save = original
    straight = params_of(model.module)
    model, loader, val, opt, sched = _fit_setup()          # resume from epoch 2 of 3
    start = load_checkpoint(os.path.join(out, 'two-2.npz'), model, opt, sched)
    fit(model, loader, nn.CrossEntropyLoss(), opt, 3, scheduler=sched, start_epoch=start,
        progress=False)
    resumed = params_of(model.module)
    model, loader, val, opt, sched = _fit_setup()
    one_start = load_checkpoint(os.path.join(out, 'one-process.npz'), model, opt, sched)
    draws = mdl.rand(4).numpy().tolist()
    mdl.set_rng_state(mdl.load(os.path.join(out, 'one-process.npz'))['rng'])
    saved_draws = mdl.rand(4).numpy().tolist()
    fit(model, loader, nn.CrossEntropyLoss(), opt, one_start + 1, scheduler=sched,
        start_epoch=one_start, progress=False)
    from_one = params_of(model.module)
    _save(out, 'training-params', **{f'straight/{k}': v for k, v in straight.items()},
          **{f'resumed/{k}': v for k, v in resumed.items()},
          **{f'from_one/{k}': v for k, v in from_one.items()})
    with open(os.path.join(out, f'training-{dist.rank()}.json'), 'w') as f:
        json.dump({'history': dict(history), 'writes': writes, 'start': start,
                   'one_start': one_start, 'lr': opt.param_groups[0]['lr'], 'draws': draws,
                   'saved_draws': saved_draws}, f)


def fail(out):
    """Rank 1 raises while rank 0 waits for it in a collective."""
    if dist.rank() == 1:
        raise ValueError('rank 1 fails on purpose')
    dist.all_reduce(mdl.ones(3))
    dist.barrier()


SCENARIOS = {'collectives': collectives, 'sampler': sampler, 'equivalence': equivalence,
             'no_sync': no_sync, 'unused': unused, 'evaluate': evaluation, 'training': training,
             'fail': fail}


def main(argv):
    names, out = argv[0].split(','), argv[1]
    dist.init()
    mdl.set_num_threads(1)
    for name in names:
        SCENARIOS[name](out)
        dist.barrier()


if __name__ == '__main__':
    main(sys.argv[1:])
