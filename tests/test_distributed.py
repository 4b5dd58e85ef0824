"""minidl.distributed: collectives, DistributedDataParallel, DistributedSampler and fit over MPI.

The multi-process tests run tests/mpi_worker.py under ``mpiexec -n 2`` in a subprocess, with a
timeout, and compare what each process wrote with single-process references computed here. They
skip, saying why, only when mpi4py or mpiexec is missing (``pip install -e '.[mpi]'``).
"""
import json
import os
import subprocess
import sys
import time

import numpy as np
import pytest

import minidl as mdl
import minidl.functional as F
from minidl import distributed as dist, nn, optim
from minidl.data import DataLoader, TensorDataset
from minidl.train import evaluate, fit, load_checkpoint, save_checkpoint
from tests import mpi_worker as worker

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORKER = os.path.join(ROOT, 'tests', 'mpi_worker.py')
MAIN_SCENARIOS = 'collectives,sampler,equivalence,no_sync,unused,evaluate,training'


def _mpiexec(nprocs, *argv):
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        pytest.skip("mpi4py is not installed: pip install -e '.[mpi]' to run the MPI tests")
    command = dist.mpiexec_command(nprocs, *argv)
    if command is None:
        pytest.skip("no mpiexec next to this Python or on PATH: pip install -e '.[mpi]' "
                    "installs Open MPI's")
    return command


def _run(command, timeout=300):
    env = dict(os.environ, OMP_NUM_THREADS='1', OPENBLAS_NUM_THREADS='1')
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=ROOT,
                          env=env)


def _load(out, name, rank):
    path = os.path.join(out, f'{name}-{rank}')
    if os.path.exists(path + '.json'):
        with open(path + '.json') as f:
            return json.load(f)
    with np.load(path + '.npz') as f:
        return dict(f)


def _one_process_checkpoint(path):
    """One epoch in a single process, saved: what the 2-process run resumes from."""
    x, y = worker.blobs()
    model = worker.mlp(seed=1)
    opt = optim.Adam(model.parameters(), lr=0.02)
    sched = optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.7)
    fit(model, DataLoader(TensorDataset(x[:200], y[:200]), batch_size=32, shuffle=True),
        nn.CrossEntropyLoss(), opt, 1, scheduler=sched, progress=False)
    save_checkpoint(path, model, opt, sched, epoch=1)
    return worker.params_of(model)


@pytest.fixture(scope='module')
def two(tmp_path_factory):
    """Run the main scenarios once in 2 processes; their output folder."""
    command = _mpiexec(2, sys.executable, WORKER, MAIN_SCENARIOS)
    out = str(tmp_path_factory.mktemp('mpi'))
    _one_process_checkpoint(os.path.join(out, 'one-process.npz'))
    result = _run(command + [out])
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return out


# ------------------------------------------------------------------ collectives and sampler
def test_collectives_reduce_broadcast_and_gather_in_two_processes(two):
    for rank in (0, 1):
        found = _load(two, 'collectives', rank)
        for dtype in ('float32', 'float64'):
            expected = {'sum': [3, 4], 'avg': [1.5, 2], 'max': [2, 7], 'min': [1, -3]}
            for op, values in expected.items():
                assert found[f'{op}-{dtype}'].dtype == dtype
                np.testing.assert_array_equal(found[f'{op}-{dtype}'], values)
        np.testing.assert_array_equal(found['strided'], 3 * np.arange(12.0).reshape(3, 4))
        np.testing.assert_array_equal(found['broadcast'], np.full((2, 3), 6.0))
        np.testing.assert_array_equal(found['gathered'], [[0, 0, 0], [1, 10, 100]])


def test_sampler_shards_are_disjoint_cover_the_data_and_change_with_the_epoch(two):
    ranks = [_load(two, 'sampler', r) for r in (0, 1)]
    assert ranks[0]['len'] == ranks[1]['len'] == 6            # 11 samples padded to 12
    for epoch in range(3):
        a, b = (r['epochs'][epoch] for r in ranks)
        assert len(a) == len(b) == 6
        assert len(set(a) | set(b)) == 11 and len(set(a) & set(b)) <= 1   # one padded repeat
    assert ranks[0]['epochs'][0] != ranks[0]['epochs'][1] != ranks[0]['epochs'][2]
    assert ranks[0]['loader_len'] == 2
    assert [v for batch in ranks[0]['loaded'] for v in batch] == [0, 2, 4, 6, 8, 10]
    assert [v for batch in ranks[1]['loaded'] for v in batch] == [1, 3, 5, 7, 9, 0]


# ------------------------------------------------------------------ DistributedDataParallel
@pytest.mark.parametrize('cap', [25, 0.0002])
@pytest.mark.parametrize('name', ['sgd', 'adam'])
def test_two_processes_with_batch_b_train_as_one_with_batch_2b(two, name, cap):
    reference = worker.equivalence_model(seed=100)
    start = worker.params_of(reference)
    worker.train_steps(reference, worker.make_optimizer(name, reference.parameters()),
                       worker.global_batches())
    expected = worker.params_of(reference)
    ranks = [_load(two, f'equivalence-{name}-{cap}', r) for r in (0, 1)]
    for key, value in expected.items():
        assert np.abs(value - start[key]).max() > 1e-3 or 'running' in key or 'batches' in key
        for found in ranks:
            np.testing.assert_allclose(found[key], value, rtol=0, atol=1e-10, err_msg=key)
        np.testing.assert_array_equal(ranks[0][key], ranks[1][key])
    buckets = int(ranks[0]['buckets'])
    assert buckets == 1 if cap == 25 else buckets >= 3
    assert int(ranks[0]['calls']) == worker.STEPS * buckets     # one Allreduce per bucket


def test_no_sync_accumulates_locally_and_the_next_backward_averages_everything(two):
    reference = worker.equivalence_model(seed=100)
    opt = worker.make_optimizer('sgd', reference.parameters())
    for x, y in worker.global_batches():
        opt.zero_grad()
        (2 * F.cross_entropy(reference(mdl.tensor(x)), mdl.tensor(y))).backward()
        opt.step()
    for rank in (0, 1):
        found = _load(two, 'no_sync', rank)
        assert int(found['calls_inside']) == 0 and int(found['calls_after']) == worker.STEPS
        for key, value in worker.params_of(reference).items():
            np.testing.assert_allclose(found[key], value, rtol=0, atol=1e-10, err_msg=key)


def test_a_parameter_left_out_of_the_loss_is_an_error_at_the_next_forward(two):
    for rank in (0, 1):
        message = _load(two, 'unused', rank)['message']
        assert message is not None and "['unused.weight', 'unused.bias']" in message
        assert 'requires_grad_(False)' in message


# ------------------------------------------------------------------ fit, evaluate, checkpoints
def test_evaluate_combines_the_shards_of_every_process(two):
    x, y = worker.blobs(200, seed=5)
    model = worker.mlp(seed=3)
    full = evaluate(model, DataLoader(TensorDataset(x, y), batch_size=50), nn.CrossEntropyLoss())
    for rank in (0, 1):
        found = _load(two, 'evaluate', rank)
        assert found['global']['accuracy'] == pytest.approx(full['accuracy'], abs=1e-12)
        assert found['global']['loss'] == pytest.approx(full['loss'], rel=1e-6)
        shard = evaluate(model, DataLoader(TensorDataset(x[rank::2], y[rank::2]), batch_size=50))
        assert found['local']['accuracy'] == pytest.approx(shard['accuracy'], abs=1e-12)
    assert _load(two, 'evaluate', 0)['local'] != _load(two, 'evaluate', 1)['local']


def test_fit_logs_the_same_global_metrics_everywhere_and_only_rank_0_writes(two, tmp_path):
    ranks = [_load(two, 'training', r) for r in (0, 1)]
    assert ranks[0]['history'] == ranks[1]['history']
    history = ranks[0]['history']
    assert len(history['loss']) == 3 and history['loss'][-1] < history['loss'][0]
    assert history['val_accuracy'][-1] > 0.8
    assert [os.path.basename(p) for p in ranks[0]['writes']] == [f'two-{e}.npz' for e in (1, 2, 3)]
    assert ranks[1]['writes'] == []


def test_a_two_process_run_resumes_exactly_in_two_processes(two):
    for rank in (0, 1):
        found = _load(two, 'training-params', rank)
        straight = {k: v for k, v in found.items() if k.startswith('straight/')}
        assert straight
        for key, value in straight.items():
            np.testing.assert_array_equal(found[key.replace('straight/', 'resumed/')], value)
    assert _load(two, 'training', 0)['start'] == 2


def test_a_two_process_checkpoint_resumes_in_one_process(two):
    ckpt = mdl.load(os.path.join(two, 'two-3.npz'))
    assert not any(k.startswith('module.') for k in ckpt['model'])
    model = worker.mlp(seed=5)
    opt = optim.Adam(model.parameters(), lr=0.02)
    sched = optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.7)
    assert load_checkpoint(os.path.join(two, 'two-3.npz'), model, opt, sched) == 3
    straight = _load(two, 'training-params', 0)
    for key, value in worker.params_of(model).items():
        np.testing.assert_array_equal(value, straight[f'straight/{key}'])
    x, y = worker.blobs()
    history = fit(model, DataLoader(TensorDataset(x[:200], y[:200]), batch_size=32,
                                    shuffle=True), nn.CrossEntropyLoss(), opt, 4,
                  scheduler=sched, start_epoch=3, progress=False)
    assert history.epoch == [3] and history['accuracy'][0] > 0.8
    assert opt.param_groups[0]['lr'] == pytest.approx(0.02 * 0.7 ** 4)


def test_a_one_process_checkpoint_resumes_in_two_processes(two):
    one = mdl.load(os.path.join(two, 'one-process.npz'))['model']
    logs = _load(two, 'training', 0)
    assert logs['one_start'] == 1 and logs['lr'] == pytest.approx(0.02 * 0.7 ** 2)
    # rank 0 continues the saved random stream, rank 1 draws its own one, seeded from it
    assert logs['draws'] == logs['saved_draws']
    other = _load(two, 'training', 1)
    assert other['saved_draws'] == logs['saved_draws'] and other['draws'] != logs['draws']
    ranks = [_load(two, 'training-params', r) for r in (0, 1)]
    for key in one:
        np.testing.assert_array_equal(ranks[0][f'from_one/{key}'], ranks[1][f'from_one/{key}'])
        assert not np.array_equal(ranks[0][f'from_one/{key}'], one[key].numpy())  # trained on


# ------------------------------------------------------------------ failures and launching
def test_a_failing_process_ends_the_whole_job_with_its_error(tmp_path):
    command = _mpiexec(2, sys.executable, WORKER, 'fail', str(tmp_path))
    start = time.monotonic()
    result = _run(command, timeout=120)     # a hang would end in TimeoutExpired
    assert result.returncode != 0
    assert 'ValueError: rank 1 fails on purpose' in result.stdout + result.stderr
    assert time.monotonic() - start < 60


def test_init_without_mpiexec_is_a_group_of_one(tmp_path):
    _mpiexec(1)
    result = _run([sys.executable, WORKER, 'collectives,sampler', str(tmp_path)])
    assert result.returncode == 0, result.stderr[-3000:]
    found = _load(str(tmp_path), 'collectives', 0)
    np.testing.assert_array_equal(found['sum-float64'], [1, -3])
    np.testing.assert_array_equal(found['gathered'], [[0, 0, 0]])
    np.testing.assert_array_equal(found['broadcast'], np.full((2, 3), 5.0))
    assert sorted(_load(str(tmp_path), 'sampler', 0)['epochs'][0]) == list(range(11))


@pytest.mark.slow
@pytest.mark.parametrize('example, floor', [('digits.py', 0.97), ('mnist1d.py', 0.95)])
def test_examples_train_in_two_processes(example, floor):
    if example == 'mnist1d.py':
        pytest.importorskip('mnist1d')
    command = _mpiexec(2, sys.executable, os.path.join(ROOT, 'examples', example),
                       '--distributed', '--epochs', '4', '--quiet')
    result = _run(command)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith('test accuracy: ')   # rank 0 alone prints
    assert float(lines[0].split()[-1]) >= floor


# ------------------------------------------------------------------ in this process, no MPI
def test_the_sampler_splits_without_a_process_group():
    data = list(range(10))
    shards = [list(dist.DistributedSampler(data, num_replicas=3, rank=r, seed=1))
              for r in range(3)]
    assert [len(s) for s in shards] == [4, 4, 4]
    assert len(sum(shards, [])) == 12 and set(sum(shards, [])) == set(range(10))
    dropped = [list(dist.DistributedSampler(data, 3, r, drop_last=True)) for r in range(3)]
    assert [len(s) for s in dropped] == [3, 3, 3] and len(set(sum(dropped, []))) == 9
    s = dist.DistributedSampler(data, 2, 0, shuffle=False)
    assert list(s) == [0, 2, 4, 6, 8]
    with pytest.raises(ValueError, match='rank must be in 0..1'):
        dist.DistributedSampler(data, 2, 2)


def test_the_process_group_explains_itself_before_init():
    if dist.is_initialized():
        pytest.skip('this test process has joined an MPI job')
    assert dist.is_main() and not dist.is_distributed()
    for call in (dist.rank, dist.world_size, dist.barrier,
                 lambda: dist.all_reduce(mdl.ones(2)),
                 lambda: dist.DistributedSampler(range(4)),
                 lambda: dist.DistributedDataParallel(nn.Dense(2, 2))):
        with pytest.raises(RuntimeError, match=r'call minidl.distributed.init\(\) first'):
            call()


def test_wrapping_an_unbuilt_lazy_layer_says_what_to_do():
    with pytest.raises(RuntimeError, match='run one forward pass first'):
        dist.DistributedDataParallel(nn.Sequential([nn.Dense(3)]))


def test_import_minidl_distributed_does_not_import_mpi4py():
    code = ('import sys, minidl, minidl.distributed, minidl.train; '
            'print("mpi4py" in sys.modules)')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                         cwd=ROOT, timeout=120, check=True)
    assert out.stdout.strip() == 'False'
