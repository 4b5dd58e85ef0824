"""minidl.plot: pictures of a training run and of what a network learned, drawn with matplotlib
(the ``[plot]`` extra: ``pip install -e '.[plot]'``).

    from minidl import plot
    plot.plot_history(history, 'curves.png')             # loss, accuracy, learning rate
    plot.plot_filters(model, 'filters.png')               # the first convolution's kernels
    plot.plot_feature_maps(model, x, 'maps.png')          # one input through each conv and pool
    plot.plot_confusion_matrix(y_true, y_pred, 'confusion.png')
    plot.plot_translate_and_scale(a, b, 'conv.png')       # the notes' 1-D convolution

Each function returns a matplotlib Figure and, given a path, also saves it as a PNG of the
figure's size at ``dpi`` dots per inch. Figures are made without pyplot: no global state, no GUI
backend, nothing to close (in a notebook, ``display(fig)`` shows one). matplotlib is imported
when a function is called, so ``import minidl.plot`` works without it.
"""
import numpy as np

from . import backend
from . import nn
from .tensor import Tensor
from .train import predict

DPI = 100
CONV_LAYERS = (nn.Conv1d, nn.Conv2d)
MAP_LAYERS = CONV_LAYERS + (nn.MaxPool1d, nn.MaxPool2d, nn.AvgPool1d, nn.AvgPool2d,
                            nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d)
SIGNED = 'RdBu_r'    # weights: red positive, blue negative, white zero


def _figure(width, height, dpi):
    """A Figure of width x height inches, or ImportError saying how to install matplotlib."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError("minidl.plot needs matplotlib, which is not installed: "
                          "pip install -e '.[plot]' (or pip install matplotlib)") from None
    return Figure(figsize=(width, height), dpi=dpi, layout='constrained')


def _finish(fig, path):
    if path is not None:
        fig.savefig(path, dpi=fig.dpi, format='png')
    return fig


def _numpy(values):
    """A Tensor (any device) or array-like as a float64 NumPy array."""
    if isinstance(values, Tensor):
        values = backend.to_numpy(values.detach().array)
    return np.asarray(values, dtype=np.float64)


# ---------------------------------------------------------------- training curves
def plot_history(history, path=None, dpi=DPI):
    """Training curves: loss and (when measured) accuracy per epoch, train and validation,
    and the learning rate of every step (of every epoch when steps were not recorded).

    ``history``: what ``minidl.train.fit`` returns, a dict of per-epoch lists with its keys, or
    a fitted ``minidl.sklearn`` estimator (its ``history_``). One panel each, 4 x 3.2 inches.
    """
    history = getattr(history, 'history_', history)
    if not history.get('loss'):
        raise ValueError("plot_history: the history has no 'loss' values (no epoch was run)")
    epochs = np.asarray(getattr(history, 'epoch', None) or range(len(history['loss']))) + 1
    metrics = [m for m in ('loss', 'accuracy') if history.get(m)]
    steps = list(getattr(history, 'step_lr', ()))
    lr = steps or history.get('lr')
    fig = _figure(4.0 * (len(metrics) + bool(lr)), 3.2, dpi)
    axes = fig.subplots(1, len(metrics) + bool(lr), squeeze=False)[0]
    for ax, metric in zip(axes, metrics):
        ax.plot(epochs, history[metric], 'o-', ms=3, label='train')
        if history.get('val_' + metric):
            ax.plot(epochs, history['val_' + metric], 's--', ms=3, label='validation')
        ax.set(title=metric, xlabel='epoch')
        ax.legend()
        ax.grid(alpha=0.3)
    if lr:
        ax = axes[-1]
        ax.plot(np.arange(1, len(lr) + 1) if steps else epochs, lr, '-' if steps else 'o-')
        ax.set(title='learning rate', xlabel='step' if steps else 'epoch')
        ax.ticklabel_format(axis='y', style='sci', scilimits=(-3, 3))
        ax.grid(alpha=0.3)
    return _finish(fig, path)


# ---------------------------------------------------------------- what the network learned
def _conv_weight(layer):
    """The kernels (O, C, kH, kW) of a conv layer, of a model's first one, or of a weight given
    directly; a 1-D kernel (O, C, k) becomes one (C, k) image per filter: (O, 1, C, k)."""
    if isinstance(layer, nn.Module) and not isinstance(layer, CONV_LAYERS):
        layer = next((m for m in layer.modules() if isinstance(m, CONV_LAYERS)), None)
        if layer is None:
            raise ValueError("plot_filters: the model has no Conv1d or Conv2d layer")
    w = _numpy(layer.weight if isinstance(layer, nn.Module) else layer)
    if w.ndim not in (3, 4):
        raise ValueError(f"plot_filters: expected conv kernels of shape (out_channels, "
                         f"in_channels, kH, kW) or (out_channels, in_channels, k), got shape "
                         f"{w.shape}")
    return w[:, None] if w.ndim == 3 else w


def plot_filters(layer, path=None, max_filters=16, max_channels=8, dpi=DPI):
    """The learned kernels of a Conv2d (or Conv1d) layer as a grid of images, on one color
    scale symmetric about zero (red positive, blue negative).

    ``layer``: a conv layer, a model (its first conv layer) or kernels (O, C, kH, kW). With one
    input channel the first ``max_filters`` filters fill a near-square grid; with more, each row
    is a filter and each column one of its first ``max_channels`` input channels. A Conv1d
    filter is drawn as one (in_channels, k) image.
    """
    w = _conv_weight(layer)
    title = f"{_first(max_filters, w.shape[0])} filters"
    if w.shape[1] > 1:
        title += f" x {_first(max_channels, w.shape[1])} input channels"
    w = w[:max_filters, :max_channels]
    o, c = w.shape[:2]
    cells = w.reshape(o * c, *w.shape[2:])
    cols = int(np.ceil(np.sqrt(o))) if c == 1 else c     # one channel: a near-square grid
    rows = -(-o // cols) if c == 1 else o
    fig = _figure(0.75 * cols + 1.0, 0.75 * rows + 0.5, dpi)
    axes = fig.subplots(rows, cols, squeeze=False)
    scale = np.abs(w).max() or 1.0
    for i, ax in enumerate(axes.flat):
        ax.set_axis_off()
        if i < len(cells):
            image = ax.imshow(cells[i], cmap=SIGNED, vmin=-scale, vmax=scale, aspect='auto')
    fig.colorbar(image, ax=axes, shrink=0.8)
    if c > 1:
        fig.supxlabel('input channel')
        fig.supylabel('filter')
    fig.suptitle(f"{title}, {'x'.join(map(str, w.shape[2:]))} each")
    return _finish(fig, path)


def _first(shown, total):
    """'16' when all 16 are shown, 'first 8 of 16' when only 8 are."""
    return f"first {shown} of {total}" if total > shown else f"{total}"


def _feature_maps(model, x):
    """[(name, output of sample 0)] for the input and every conv and pool layer of ``model``,
    in the order they run, from one forward pass in eval mode."""
    x = _numpy(x).astype(np.float32)
    maps, handles = [('input', x)], []
    for name, module in model.named_modules():
        if isinstance(module, MAP_LAYERS):
            def keep(m, inputs, output, name=name):
                maps.append((f"{name}: {type(m).__name__}", _numpy(output)[0]))
            handles.append(module.register_forward_hook(keep))
    try:
        predict(model, x[None])
    finally:
        for handle in handles:
            handle.remove()
    return maps


def plot_feature_maps(model, x, path=None, max_maps=8, dpi=DPI):
    """One input through the network: a row for the input and for each conv and pool layer,
    showing the first ``max_maps`` channels of its output (one color scale per row).

    ``x``: one sample without the batch dimension, e.g. (1, 8, 8) (a Tensor or an array);
    the model runs in eval mode under no_grad. 1-D maps (C, L) are drawn as strips.
    """
    maps = _feature_maps(model, x)
    cols = min(max_maps, max(m.shape[0] for _, m in maps))
    fig = _figure(1.1 * cols + 1.6, 1.15 * len(maps) + 0.3, dpi)
    axes = fig.subplots(len(maps), cols, squeeze=False)
    for row, (name, m) in zip(axes, maps):
        m = m[:, None] if m.ndim == 2 else m          # (C, L) -> C strips of 1 x L
        low, high = m[:cols].min(), m[:cols].max()
        for j, ax in enumerate(row):
            ax.set_xticks([])
            ax.set_yticks([])
            if j < len(m):
                ax.imshow(m[j], cmap='viridis', vmin=low, vmax=high, aspect='auto')
            else:
                ax.set_axis_off()
        row[0].set_ylabel(f"{name}\n{'x'.join(map(str, m.shape))}", rotation=0, ha='right',
                          va='center', fontsize=8)
    fig.suptitle(f"Feature maps of one input (first {cols} channels per layer)")
    return _finish(fig, path)


# ---------------------------------------------------------------- a classifier on a test set
def plot_confusion_matrix(y_true, y_pred, path=None, labels=None, normalize=None, dpi=DPI):
    """The confusion matrix of predictions ``y_pred`` against ``y_true`` (computed by
    scikit-learn's ``confusion_matrix``; ``labels`` and ``normalize`` ('true', 'pred', 'all')
    as there): rows are true classes, columns predicted ones, each cell with its count, and the
    accuracy in the title."""
    from sklearn.metrics import confusion_matrix
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    labels = np.unique(np.concatenate([y_true, y_pred])) if labels is None else labels
    counts = confusion_matrix(y_true, y_pred, labels=labels, normalize=normalize)
    n = len(labels)
    fig = _figure(max(4.0, 0.45 * n + 1.8), max(3.6, 0.45 * n + 1.4), dpi)
    ax = fig.subplots()
    image = ax.imshow(counts, cmap='Blues')
    fig.colorbar(image, ax=ax, shrink=0.8)
    for (i, j), value in np.ndenumerate(counts):
        color = 'white' if value > counts.max() / 2 else 'black' if value else '0.7'
        ax.text(j, i, f"{value:.2f}" if normalize else f"{value}", ha='center', va='center',
                fontsize=8, color=color)
    ax.set(xticks=range(n), yticks=range(n), xticklabels=labels, yticklabels=labels,
           xlabel='predicted class', ylabel='true class')
    ax.set_title(f"Confusion matrix: accuracy {np.mean(y_true == y_pred):.4f} "
                 f"({len(y_true)} samples)")
    return _finish(fig, path)


# ---------------------------------------------------------------- the notes' convolution
def plot_translate_and_scale(a, b, path=None, dpi=DPI):
    """The 1-D convolution a * b as the notes draw it: for each a[i], a copy of b translated by
    i places and scaled by a[i], one panel each, above their sum (the convolution, length
    len(a) + len(b) - 1). 6.4 inches wide, 1.9 inches per panel."""
    a, b = _numpy(a).ravel(), _numpy(b).ravel()
    n, m = len(a), len(b)
    k = np.arange(n + m - 1)
    copies = np.zeros((n, len(k)))
    for i in range(n):
        copies[i, i:i + m] = a[i] * b
    total = copies.sum(axis=0)
    fig = _figure(6.4, 1.9 * (n + 1), dpi)
    axes = fig.subplots(n + 1, 1, sharex=True, sharey=True)
    for i, ax in enumerate(axes):
        if i < n:      # a copy: b translated by i (grey rings, shaded span), then scaled by a[i]
            values, color = copies[i], 'tab:blue'
            label = f"a[{i}] = {a[i]:g} times b shifted by {i}"
            ax.axvspan(i - 0.3, i + m - 0.7, color='tab:blue', alpha=0.08)
            ax.plot(np.arange(i, i + m), b, 'o', mfc='none', mec='0.6', ms=8,
                    label=f"b shifted by {i}")
            ax.legend(loc='upper right', fontsize=8, frameon=False)
        else:
            values, color, label = total, 'tab:red', "sum of the copies = a * b"
        ax.stem(k, values, linefmt=color, markerfmt='o', basefmt='k-')
        ax.set_title(f"{'+ ' if 0 < i < n else '= ' if i == n else ''}{label}:  "
                     f"{_text(values)}", fontsize=10, loc='left')
        for x, v in zip(k, values):
            ax.annotate(f"{v + 0:g}", (x, v), textcoords='offset points',
                        xytext=(7, 3 if v >= 0 else -11), fontsize=9)
        ax.grid(alpha=0.3)
    everything = np.concatenate([copies.ravel(), b])
    axes[0].set_ylim(min(-1.0, everything.min()) - 1.2, max(1.0, everything.max()) + 1.2)
    axes[-1].set_xticks(k)
    axes[-1].set_xlabel("output index k")
    fig.suptitle(f"Convolution as translate and scale: a = {_text(a)}, b = {_text(b)}")
    return _finish(fig, path)


def _text(values):
    """Numbers as '[2 3 0 -1]', integers without a trailing '.0'."""
    return '[' + ' '.join(f"{v + 0:g}" for v in values) + ']'
