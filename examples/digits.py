"""Train the lecture notes' network on scikit-learn's 8x8 digits: the main job of minidl.

    conv -> batch norm -> ReLU -> pool -> conv -> batch norm -> ReLU -> pool -> fully connected

Prints the summary table, a progress bar per epoch (on a terminal), then the test accuracy, a
confusion matrix and the wall time. The last line reads ``test accuracy: 0.xxxx``.

    python examples/digits.py                     # defaults: 12 epochs, AdamW, one-cycle schedule
    python examples/digits.py --epochs 3 --quiet --save digits.npz

The recipe: batch norm after each convolution, AdamW (weight decay 1e-4) and a one-cycle
learning-rate schedule peaking at 0.02, batch 64. On the held-out 20% it reaches about 99.5% on
average over seeds 0-4; for comparison an SVM gets 98.3% and the same CNN without batch norm,
trained with plain Adam, 97.7%.
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402

import minidl as mdl  # noqa: E402
from minidl import nn, optim  # noqa: E402
from minidl.data import DataLoader  # noqa: E402
from minidl.train import evaluate, fit, predict  # noqa: E402


def build_model():
    """The notes' conv -> pool -> conv -> pool -> fully connected network, with batch norm."""
    return nn.Sequential([
        nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Dense(32 * 2 * 2, 10),
    ])


def confusion_matrix(predicted, actual, classes=10):
    """counts[i, j]: test images of class i predicted as j."""
    counts = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(counts, (actual, predicted), 1)
    return counts


def format_confusion(counts):
    head = 'true\\pred ' + ''.join(f'{j:>4}' for j in range(len(counts))) + '  correct'
    rows = [head]
    for i, row in enumerate(counts):
        rows.append(f'{i:>9} ' + ''.join(f'{n:>4}' for n in row) + f'  {row[i]:>3}/{row.sum()}')
    return '\n'.join(rows)


def parse_args(argv):
    parser = argparse.ArgumentParser(description='Train the notes\' CNN on the 8x8 digits.')
    parser.add_argument('--epochs', type=int, default=12)
    parser.add_argument('--batch-size', type=int, default=64)
    parser.add_argument('--lr', type=float, default=0.02, help='peak learning rate (one-cycle)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--device', default=None, help="'cpu' or 'cuda' (default: MINIDL_DEVICE "
                                                       "or cpu)")
    parser.add_argument('--save', metavar='PATH', help='save the trained weights (.npz)')
    parser.add_argument('--quiet', action='store_true', help='print only the last line')
    return parser.parse_args(argv)


def main(argv=None):
    """Train and evaluate; returns a dict with the accuracy, history and confusion matrix."""
    args = parse_args(argv)
    say = (lambda *a, **k: None) if args.quiet else print
    device = mdl.backend.canonical_device(args.device)
    start = time.perf_counter()

    mdl.manual_seed(args.seed)
    train, test = mdl.datasets.digits()
    train_loader = DataLoader(train, batch_size=args.batch_size, shuffle=True, device=device)
    test_loader = DataLoader(test, batch_size=512, device=device)

    model = build_model().to(device)
    model.summary((1, 8, 8), print_fn=say)
    optimizer = optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    scheduler = optim.lr_scheduler.OneCycleLR(optimizer, max_lr=args.lr, epochs=args.epochs,
                                              steps_per_epoch=len(train_loader))
    history = fit(model, train_loader, nn.CrossEntropyLoss(), optimizer, args.epochs,
                  scheduler=scheduler, progress=not args.quiet)
    result = evaluate(model, test_loader)
    predicted = predict(model, test_loader).argmax(1).cpu().numpy()
    actual = test.tensors[1].cpu().numpy()
    counts = confusion_matrix(predicted, actual)
    elapsed = time.perf_counter() - start

    say(f"\ntrain loss {history['loss'][-1]:.4f}, train accuracy {history['accuracy'][-1]:.4f} "
        f"after {args.epochs} epochs")
    say('\nconfusion matrix (rows: true digit, columns: predicted digit)')
    say(format_confusion(counts))
    say(f'\nwall time: {elapsed:.1f} s on {device}')
    if args.save:
        mdl.save(model.state_dict(), args.save)
        say(f'weights saved to {args.save}')
    print(f"test accuracy: {result['accuracy']:.4f}")
    return dict(accuracy=result['accuracy'], history=history, confusion=counts,
                seconds=elapsed)


if __name__ == '__main__':
    main()
