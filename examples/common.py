"""What digits.py and mnist1d.py share: the command line, the training run, the report and
the pictures."""
import argparse
import importlib.util
import os
import time

import numpy as np

import minidl as mdl
from minidl import nn, optim
from minidl.data import DataLoader
from minidl.train import evaluate, fit, predict


def parse_args(argv, description, epochs, batch_size, lr):
    """The examples' options: --epochs --batch-size --lr --seed --device --threads --save
    --export --plot --quiet --distributed. A value that cannot work (--epochs 0, a device
    without CuPy, from --device or $MINIDL_DEVICE) is refused here, before any work."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument('--epochs', type=_positive(int), default=epochs,
                        help='passes over the training set (default: %(default)s)')
    parser.add_argument('--batch-size', type=_positive(int), default=batch_size,
                        help='samples per step (default: %(default)s; with --distributed: in all '
                             'processes together, each taking its equal share, so the recipe '
                             'stays the same)')
    parser.add_argument('--lr', type=_positive(float), default=lr,
                        help='peak learning rate of the one-cycle schedule (default: %(default)s)')
    parser.add_argument('--seed', type=int, default=0,
                        help='seeds initialisation, shuffling and dropout (default: %(default)s)')
    parser.add_argument('--device', default=None,
                        help="'cpu', 'cuda' or 'cuda:N' (default: $MINIDL_DEVICE, else cpu)")
    parser.add_argument('--threads', type=_positive(int), default=1,
                        help='BLAS threads on the CPU (default: 1: a network this small gains '
                             'little from a second thread, and on a busy machine BLAS threads '
                             'wait on each other at every multiplication)')
    parser.add_argument('--save', metavar='PATH', help='save the trained weights (.npz)')
    parser.add_argument('--export', metavar='PATH',
                        help="write the trained model as ONNX (needs pip install -e '.[onnx]')")
    parser.add_argument('--plot', metavar='DIR',
                        help='write training curves, filters, feature maps and the confusion '
                             'matrix as PNGs to DIR, and watch the test set while training '
                             '(needs matplotlib: pip install -e .[plot])')
    parser.add_argument('--quiet', action='store_true', help='print only the last line')
    parser.add_argument('--distributed', action='store_true',
                        help='data-parallel training in the processes that mpiexec started '
                             '(mpiexec -n 2 python examples/digits.py --distributed); needs '
                             "pip install -e '.[mpi]'")
    args = parser.parse_args(argv)
    if args.export and importlib.util.find_spec('onnx') is None:    # say so before training
        parser.error("--export needs the onnx package: pip install -e '.[onnx]'")
    _check_device(parser, args.device)
    if args.plot:
        try:
            import matplotlib  # noqa: F401  (checked now, before any training)
        except ImportError:
            parser.error('--plot needs matplotlib, which is not installed: pip install -e .[plot]')
    return args


def _positive(kind):
    """An argparse type: a number of ``kind`` (int or float) above zero."""
    def convert(text):
        try:
            value = kind(text)
        except ValueError:
            value = None
        if value is None or not value > 0:
            raise argparse.ArgumentTypeError(f"must be a positive {kind.__name__}, got {text!r}")
        return value
    convert.__name__ = kind.__name__        # argparse names the type in its own messages
    return convert


def _check_device(parser, device):
    """Refuse a device that cannot work, naming where it came from: --device, else
    $MINIDL_DEVICE (the default device), with the reason (e.g. CuPy is not installed)."""
    if device is not None:
        source = f'--device {device}'
    elif os.environ.get('MINIDL_DEVICE'):
        source = f"$MINIDL_DEVICE={os.environ['MINIDL_DEVICE']}"
    else:
        source = 'the default device'
    try:
        mdl.backend.module_for(device)       # a usable device, or say why not
    except (RuntimeError, ValueError) as exc:
        parser.error(f'{source}: {exc}')


def _share(batch_size, dist):
    """Each process's part of a step's ``batch_size`` samples."""
    if dist is None:
        return batch_size
    if batch_size % dist.world_size():
        raise SystemExit(f'--batch-size {batch_size} does not split evenly among '
                         f'{dist.world_size()} processes')
    return batch_size // dist.world_size()


def confusion_matrix(predicted, actual, classes=10):
    """counts[i, j]: test samples of class i predicted as j."""
    counts = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(counts, (actual, predicted), 1)
    return counts


def format_confusion(counts):
    """The confusion matrix as text, with each class's correct count."""
    rows = ['true\\pred ' + ''.join(f'{j:>4}' for j in range(len(counts))) + '  correct']
    for i, row in enumerate(counts):
        rows.append(f'{i:>9} ' + ''.join(f'{n:>4}' for n in row) + f'  {row[i]:>3}/{row.sum()}')
    return '\n'.join(rows)


def train_and_report(args, build_model, data, input_shape, weight_decay, label_smoothing=0.0):
    """Seed, build, train with AdamW and a one-cycle schedule, evaluate and print the report;
    the last line printed is ``test accuracy: 0.xxxx``. Returns accuracy, history, confusion
    matrix, wall time and the paths of the pictures written (with --plot).

    With ``--distributed`` every process started by mpiexec runs this: each trains on its own
    shard of the training set (a DistributedSampler), gradients are averaged
    (DistributedDataParallel), and only rank 0 prints.
    """
    dist = _join(args)
    main_process = dist is None or dist.is_main()
    say = print if main_process and not args.quiet else (lambda *a, **k: None)
    device = mdl.backend.canonical_device(args.device)
    start = time.perf_counter()

    mdl.set_num_threads(args.threads)
    mdl.cpu.retain_freed_memory()     # keep freed memory for the next step (glibc; opt-in)
    # each process its own random stream (dropout); the weights all come from rank 0's
    mdl.manual_seed(args.seed + (dist.rank() if dist else 0))
    train, test = data()
    sampler = dist.DistributedSampler(train, seed=args.seed) if dist else None
    train_loader = DataLoader(train, batch_size=_share(args.batch_size, dist),
                              shuffle=sampler is None, sampler=sampler, device=device)
    test_loader = DataLoader(test, batch_size=512, device=device)

    model = build_model().to(device)
    model.summary(input_shape, print_fn=say)
    if dist:
        model = dist.DistributedDataParallel(model)
    optimizer = optim.AdamW(model.parameters(), lr=args.lr, weight_decay=weight_decay)
    scheduler = optim.lr_scheduler.OneCycleLR(optimizer, max_lr=args.lr, epochs=args.epochs,
                                              steps_per_epoch=len(train_loader))
    # with --plot the test set is watched each epoch for the curves (eval mode: it changes nothing)
    history = fit(model, train_loader, nn.CrossEntropyLoss(label_smoothing=label_smoothing),
                  optimizer, args.epochs, val_data=test_loader if args.plot else None,
                  scheduler=scheduler, progress=not args.quiet)
    result = evaluate(model, test_loader)
    predicted = predict(model, test_loader).argmax(1).cpu().numpy()
    counts = confusion_matrix(predicted, test.tensors[1].cpu().numpy())
    elapsed = time.perf_counter() - start

    where = f'{device}' + (f' x {dist.world_size()} processes' if dist else '')
    _report(say, history, counts, elapsed, where)
    plots = []
    if main_process:
        plots = _write_outputs(args, getattr(model, 'module', model), test, input_shape, history,
                               predicted, device, say)
        print(f"test accuracy: {result['accuracy']:.4f}")
    return dict(accuracy=result['accuracy'], history=history, confusion=counts, seconds=elapsed,
                plots=plots)


def _report(say, history, counts, elapsed, where):
    """The run's summary: the last epoch's training figures, the confusion matrix and the wall
    time on ``where`` (the device, and the number of processes)."""
    say(f"\ntrain loss {history['loss'][-1]:.4f}, train accuracy {history['accuracy'][-1]:.4f} "
        f"after {len(history['loss'])} epochs")
    say('\nconfusion matrix (rows: true class, columns: predicted class)')
    say(format_confusion(counts))
    say(f'\nwall time: {elapsed:.1f} s on {where}')


def _join(args):
    """minidl.distributed, joined to the job, with --distributed; else None."""
    if not args.distributed:
        return None
    from minidl import distributed as dist
    dist.init()
    return dist


def _write_outputs(args, model, test, input_shape, history, predicted, device, say):
    """What the options ask to keep of the trained ``model`` (the inner one of a data-parallel
    wrapper, on ``device``): --save's weights, --export's ONNX file, --plot's pictures (their
    paths)."""
    if args.save:
        mdl.save(model.state_dict(), args.save)
        say(f'weights saved to {args.save}')
    if args.export:
        mdl.onnx.export(model, test.tensors[0][:2].to(device), args.export)
        dims = ', '.join(map(str, input_shape))
        say(f"ONNX model written to {args.export}: input 'input' (batch, {dims}), output "
            "'output' (batch, 10)")
    plots = write_plots(args.plot, model, history, test, predicted) if args.plot else []
    if plots:
        say(f"pictures written: {', '.join(plots)}")
    return plots


def write_plots(directory, model, history, test, predicted):
    """Draw the run with minidl.plot into ``directory``: curves.png (loss, accuracy, learning
    rate), filters.png (the first conv layer), feature_maps.png (the first test sample through
    every conv and pool layer) and confusion.png (the test set). Returns the paths."""
    from minidl import plot
    os.makedirs(directory, exist_ok=True)
    paths = [os.path.join(directory, name) for name in
             ('curves.png', 'filters.png', 'feature_maps.png', 'confusion.png')]
    x, y = test.tensors
    plot.plot_history(history, paths[0])
    plot.plot_filters(model, paths[1])
    plot.plot_feature_maps(model, x[0], paths[2])
    plot.plot_confusion_matrix(y.cpu().numpy(), predicted, paths[3])
    return paths
