"""The digits CNN as a scikit-learn estimator, tuned by GridSearchCV over the learning rate and
the channel width, then scored on the held-out test set.

    python examples/sklearn_digits.py               # a 3 x 2 grid, 3 folds, in this process
    python examples/sklearn_digits.py --jobs 2      # the same in two worker processes

The network is examples/digits.py's (conv, batch norm, pool, twice, then a fully connected
layer) trained with AdamW and label smoothing at a constant learning rate: minidl.sklearn's
NeuralNetClassifier wraps it, so GridSearchCV clones it, sets ``lr`` and ``module__channels``,
and ships it to its worker processes by pickling. Prints the grid's cross-validation
accuracies, the best parameters, and last ``test accuracy: 0.xxxx`` (same split as digits.py).
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.append(os.path.dirname(os.path.abspath(__file__)))       # for digits.py

import digits  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402

import minidl as mdl  # noqa: E402
from minidl import optim  # noqa: E402
from minidl.sklearn import NeuralNetClassifier  # noqa: E402


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument('--lr', type=float, nargs='+', default=[0.003, 0.01, 0.03],
                        help='learning rates to try')
    parser.add_argument('--channels', type=int, nargs='+', default=[8, 16],
                        help='widths of the first convolution to try (the second is twice)')
    parser.add_argument('--epochs', type=int, default=8, help='epochs of every fit')
    parser.add_argument('--cv', type=int, default=3, help='cross-validation folds')
    parser.add_argument('--jobs', type=int, default=1,
                        help="GridSearchCV's n_jobs: above 1, fits run in that many worker "
                             "processes (one BLAS thread each), which pays once a fit takes "
                             "longer than starting a worker")
    parser.add_argument('--seed', type=int, default=0, help='the estimator\'s random_state')
    return parser.parse_args(argv)


def main(argv=None):
    """Search the grid, refit the best on the whole training set, score it on the test set;
    returns the fitted GridSearchCV and the test accuracy in a dict."""
    args = parse_args(argv)
    start = time.perf_counter()
    mdl.set_num_threads(1)     # a net this small gains nothing from BLAS threads (loky's workers
    #                            get one thread each by themselves)
    (x_train, y_train), (x_test, y_test) = mdl.datasets.digits(as_arrays=True)
    net = NeuralNetClassifier(digits.build_model, optimizer=optim.AdamW,
                              optimizer__weight_decay=1e-4, criterion__label_smoothing=0.1,
                              max_epochs=args.epochs, batch_size=64, random_state=args.seed)
    grid = GridSearchCV(net, {'lr': args.lr, 'module__channels': args.channels}, cv=args.cv,
                        n_jobs=args.jobs)
    grid.fit(x_train, y_train)
    results = grid.cv_results_
    print(f"{'lr':>8} {'channels':>8}  cross-validation accuracy ({args.cv} folds)")
    for params, mean, std in zip(results['params'], results['mean_test_score'],
                                 results['std_test_score']):
        print(f"{params['lr']:>8g} {params['module__channels']:>8}  {mean:.4f} +- {std:.4f}")
    print(f"best parameters: {grid.best_params_}")
    accuracy = grid.score(x_test, y_test)
    print(f"wall time: {time.perf_counter() - start:.1f} s")
    print(f"test accuracy: {accuracy:.4f}")
    return {'grid': grid, 'accuracy': accuracy}


if __name__ == '__main__':
    main()
