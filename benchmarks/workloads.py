"""The benchmark workloads, each written once for minidl and once for PyTorch.

Every workload is a function ``(framework, device) -> step`` that builds its model and data and
returns a zero-argument callable doing one measured unit of work. Data and weights are built
outside the timed step. Float32 throughout.
"""
import numpy as np

DIGITS_BATCH = 64


def _digits_arrays():
    from minidl.datasets import digits
    (x, y), _ = digits(as_arrays=True)
    order = np.random.default_rng(0).permutation(len(x))
    return x[order], y[order]


def _minidl():
    """minidl, with freed memory kept for reuse as its examples keep it (opt-in since
    ``import minidl`` stopped tuning malloc): a training step frees and reallocates the same
    arrays every step."""
    import minidl
    minidl.cpu.retain_freed_memory()
    return minidl


def _batches(n, batch):
    return [slice(i, min(i + batch, n)) for i in range(0, n, batch)]


# ---------------------------------------------------------------- minidl
def _minidl_digits_cnn():
    from minidl import nn
    return nn.Sequential([nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Dense(128, 10)])


def _minidl_lenet():
    from minidl import nn
    return nn.Sequential([nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                          nn.Dense(400, 120), nn.ReLU(), nn.Dense(120, 84), nn.ReLU(),
                          nn.Dense(84, 10)])


def minidl_w1(device):
    """W1: one epoch of the digits CNN with Adam, batch 64, over 1,437 training images."""
    import minidl.functional as F
    mdl = _minidl()
    mdl.manual_seed(0)
    x, y = _digits_arrays()
    x, y = mdl.tensor(x, device=device), mdl.tensor(y, device=device)
    model = _minidl_digits_cnn().to(device)
    return _digits_epoch(mdl, F, model, x, y)


def _digits_epoch(mdl, F, model, x, y):
    """W1's epoch: Adam over ``x, y`` in batches of DIGITS_BATCH; returns the last loss."""
    opt = mdl.optim.Adam(model.parameters(), lr=1e-3)
    batches = _batches(len(x), DIGITS_BATCH)

    def epoch():
        for s in batches:
            loss = F.cross_entropy(model(x[s]), y[s])
            opt.zero_grad()
            loss.backward()
            opt.step()
        return loss.item()
    return epoch


def minidl_w2(device):
    """W2: one LeNet-5 training step (SGD) on a (128, 1, 28, 28) batch."""
    import minidl.functional as F
    mdl = _minidl()
    mdl.manual_seed(0)
    x = mdl.randn(128, 1, 28, 28, device=device)
    y = mdl.randint(0, 10, (128,), device=device)
    model = _minidl_lenet().to(device)
    opt = mdl.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

    def step():
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()
    return step


def minidl_w3(device):
    """W3: Conv2d(64, 64, 3, padding=1) forward and backward on (32, 64, 32, 32)."""
    mdl = _minidl()
    mdl.manual_seed(0)
    layer = mdl.nn.Conv2d(64, 64, 3, padding=1).to(device)
    x = mdl.randn(32, 64, 32, 32, device=device, requires_grad=True)
    upstream = mdl.randn(32, 64, 32, 32, device=device)

    def step():
        layer.zero_grad()
        x.grad = None
        layer(x).backward(upstream)
        return float(x.grad.array[0, 0, 0, 0])
    return step


def minidl_w4(device, requires_grad):
    """W4: a + b on (8,) tensors."""
    mdl = _minidl()
    a = mdl.ones(8, device=device, requires_grad=requires_grad)
    b = mdl.ones(8, device=device, requires_grad=requires_grad)
    return lambda: a + b


# ---------------------------------------------------------------- minidl, data-parallel
def minidl_dp_w1(device):
    """W1 in each process of an MPI job: its shard of the epoch (a DistributedSampler's, padded
    to equal length), batch 64 per process, gradients averaged by DistributedDataParallel."""
    import minidl as mdl
    import minidl.functional as F
    from minidl import distributed as dist
    dist.init()
    mdl.manual_seed(0)
    x, y = _digits_arrays()
    shard = list(dist.DistributedSampler(range(len(x)), shuffle=False))
    x, y = mdl.tensor(x[shard], device=device), mdl.tensor(y[shard], device=device)
    model = dist.DistributedDataParallel(_minidl_digits_cnn().to(device))
    return _digits_epoch(mdl, F, model, x, y)


def minidl_dp_w2(device):
    """W2 in each process of an MPI job: a LeNet-5 step on its own (128, 1, 28, 28) batch,
    gradients averaged by DistributedDataParallel."""
    import minidl as mdl
    import minidl.functional as F
    from minidl import distributed as dist
    dist.init()
    mdl.manual_seed(dist.rank())
    x = mdl.randn(128, 1, 28, 28, device=device)
    y = mdl.randint(0, 10, (128,), device=device)
    model = dist.DistributedDataParallel(_minidl_lenet().to(device))
    opt = mdl.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

    def step():
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()
    return step


# ---------------------------------------------------------------- PyTorch
def _torch_digits_cnn(nn):
    return nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(128, 10))


def _torch_lenet(nn):
    return nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
                         nn.Linear(84, 10))


def _sync(torch, device):
    if device != 'cpu':
        torch.cuda.synchronize()


def torch_w1(device):
    import torch
    import torch.nn.functional as F
    torch.manual_seed(0)
    x, y = _digits_arrays()
    x, y = torch.from_numpy(x).to(device), torch.from_numpy(y).to(device)
    model = _torch_digits_cnn(torch.nn).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    batches = _batches(len(x), DIGITS_BATCH)

    def epoch():
        for s in batches:
            loss = F.cross_entropy(model(x[s]), y[s])
            opt.zero_grad()
            loss.backward()
            opt.step()
        return loss.item()
    return epoch


def torch_w2(device):
    import torch
    import torch.nn.functional as F
    torch.manual_seed(0)
    x = torch.randn(128, 1, 28, 28, device=device)
    y = torch.randint(0, 10, (128,), device=device)
    model = _torch_lenet(torch.nn).to(device)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

    def step():
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()
    return step


def torch_w3(device):
    import torch
    torch.manual_seed(0)
    layer = torch.nn.Conv2d(64, 64, 3, padding=1).to(device)
    x = torch.randn(32, 64, 32, 32, device=device, requires_grad=True)
    upstream = torch.randn(32, 64, 32, 32, device=device)

    def step():
        layer.zero_grad()
        x.grad = None
        layer(x).backward(upstream)
        _sync(torch, device)
        return float(x.grad[0, 0, 0, 0])
    return step


def torch_w4(device, requires_grad):
    import torch
    a = torch.ones(8, device=device, requires_grad=requires_grad)
    b = torch.ones(8, device=device, requires_grad=requires_grad)
    return lambda: a + b


def numpy_w4(device, requires_grad):
    a = np.ones(8, np.float32)
    b = np.ones(8, np.float32)
    return lambda: a + b


# ---------------------------------------------------------------- W5, W6: ported examples
def _example_step(torch, device, build, shape, loss, optimizer):
    """One training step of models.<build>(torch) on a fixed random batch of ``shape`` with
    labels of 10 classes, written once for PyTorch and minidl alike (``torch`` is either)."""
    import models
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    x = torch.tensor(rng.standard_normal(shape, dtype=np.float32), device=device)
    y = torch.tensor(rng.integers(0, 10, shape[0]), device=device)
    model = getattr(models, build)(torch).to(device)
    opt = optimizer(torch.optim, model.parameters())
    loss_fn = getattr(torch.nn.functional, loss)

    def step():
        out = loss_fn(model(x), y)
        opt.zero_grad()
        out.backward()
        opt.step()
        return out.item()         # reads the result back: waits for a GPU
    return step


def _w5(torch, device):
    """W5: one training step of PyTorch's MNIST example net (SGD, momentum 0.5 as the example's
    earlier versions) on a (64, 1, 28, 28) batch."""
    return _example_step(torch, device, 'mnist_net', (64, 1, 28, 28), 'nll_loss',
                         lambda optim, params: optim.SGD(params, lr=0.01, momentum=0.5))


def _w6(torch, device):
    """W6: one training step of ResNet-18 (CIFAR layout) on a (128, 3, 32, 32) batch, SGD with
    momentum 0.9 and weight decay 5e-4 (the usual CIFAR-10 recipe)."""
    return _example_step(torch, device, 'resnet18', (128, 3, 32, 32), 'cross_entropy',
                         lambda optim, params: optim.SGD(params, lr=0.1, momentum=0.9,
                                                         weight_decay=5e-4))


def minidl_w5(device):
    return _w5(_minidl(), device)


def minidl_w6(device):
    return _w6(_minidl(), device)


def torch_w5(device):
    import torch
    return _w5(torch, device)


def torch_w6(device):
    import torch
    return _w6(torch, device)


# ---------------------------------------------------------------- W3's hardware reference
W3_FLOPS = 3 * 2 * (32 * 32 * 32) * 64 * (64 * 9)   # forward + grad input + grad weight


def numpy_w3_gemms(device):
    """The three GEMMs of W3 (forward, grad weight, grad input) as plain NumPy matmuls into
    preallocated outputs (no page faults of fresh 8-75 MB results in the timing), each in
    whichever of its two operand orders NumPy multiplies faster here: (O, K) @ (K, P) as
    minidl's im2col lays them out, or the transposed (P, K) @ (K, O). OpenBLAS's rate differs by
    up to 1.4x between the two, and the reference should be NumPy's best."""
    import time
    rng = np.random.default_rng(0)
    pixels, inner, cout = 32 * 32 * 32, 64 * 9, 64
    cols = rng.standard_normal((inner, pixels), dtype=np.float32)     # windows matrix
    w = rng.standard_normal((cout, inner), dtype=np.float32)
    gy = rng.standard_normal((cout, pixels), dtype=np.float32)
    cols_t, w_t, gy_t = (np.ascontiguousarray(a.T) for a in (cols, w, gy))
    pairs = [((w, cols), (cols_t, w_t)),        # forward: y = W @ cols
             ((cols, gy_t), (gy, cols_t)),      # grad weight: gW.T = cols @ gy.T
             ((w_t, gy), (gy_t, w))]            # grad input: gcols = W.T @ gy

    def product(a, b):
        out = np.empty((a.shape[0], b.shape[1]), dtype=np.float32)
        return lambda: np.matmul(a, b, out=out)

    def seconds(run):
        run()
        start = time.perf_counter()
        for _ in range(3):
            run()
        return time.perf_counter() - start
    fastest = [min((product(*one), product(*other)), key=seconds) for one, other in pairs]

    def step():
        for run in fastest:
            run()
    return step
