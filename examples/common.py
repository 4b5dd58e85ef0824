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
    --export --plot --quiet."""
    parser = argparse.ArgumentParser(description=description,
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument('--epochs', type=int, default=epochs, help='passes over the training set')
    parser.add_argument('--batch-size', type=int, default=batch_size, help='samples per step')
    parser.add_argument('--lr', type=float, default=lr, help='peak learning rate (one-cycle)')
    parser.add_argument('--seed', type=int, default=0,
                        help='seeds initialisation, shuffling and dropout')
    parser.add_argument('--device', default=None,
                        help="'cpu' or 'cuda' (default: $MINIDL_DEVICE, else cpu)")
    parser.add_argument('--threads', type=int, default=1,
                        help='BLAS threads on the CPU (default 1: a network this small gains '
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
    args = parser.parse_args(argv)
    if args.export and importlib.util.find_spec('onnx') is None:    # say so before training
        parser.error("--export needs the onnx package: pip install -e '.[onnx]'")
    try:
        mdl.backend.module_for(args.device)       # a usable device, or say why not
    except (RuntimeError, ValueError) as exc:
        parser.error(f'--device {args.device}: {exc}')
    if args.plot:
        try:
            import matplotlib  # noqa: F401  (checked now, before any training)
        except ImportError:
            parser.error('--plot needs matplotlib, which is not installed: pip install -e .[plot]')
    return args


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
    matrix, wall time and the paths of the pictures written (with --plot)."""
    say = (lambda *a, **k: None) if args.quiet else print
    device = mdl.backend.canonical_device(args.device)
    start = time.perf_counter()

    mdl.set_num_threads(args.threads)
    mdl.cpu.retain_freed_memory()     # keep freed memory for the next step (glibc; opt-in)
    mdl.manual_seed(args.seed)
    train, test = data()
    train_loader = DataLoader(train, batch_size=args.batch_size, shuffle=True, device=device)
    test_loader = DataLoader(test, batch_size=512, device=device)

    model = build_model().to(device)
    model.summary(input_shape, print_fn=say)
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

    say(f"\ntrain loss {history['loss'][-1]:.4f}, train accuracy {history['accuracy'][-1]:.4f} "
        f"after {args.epochs} epochs")
    say('\nconfusion matrix (rows: true class, columns: predicted class)')
    say(format_confusion(counts))
    say(f'\nwall time: {elapsed:.1f} s on {device}')
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
    print(f"test accuracy: {result['accuracy']:.4f}")
    return dict(accuracy=result['accuracy'], history=history, confusion=counts, seconds=elapsed,
                plots=plots)


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
