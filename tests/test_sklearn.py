"""minidl.sklearn: scikit-learn's own estimator checks, then what users do with an estimator
(labels of any type, images, nested parameters, clone, pickle and joblib's memmaps,
partial_fit, Pipeline, cross_val_score, GridSearchCV over processes)."""
import io
import os
import pickle
import subprocess
import sys

import joblib
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_digits, make_blobs, make_regression
from sklearn.model_selection import GridSearchCV, cross_val_score, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

import minidl as mdl
from minidl import nn, optim
from minidl.sklearn import NeuralNetClassifier, NeuralNetRegressor
from minidl.train import EarlyStopping

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class MLP(nn.Module):
    """Dense(hidden) -> ReLU -> Dense(n_classes or n_outputs): the input size is inferred."""

    def __init__(self, hidden=16, n_classes=None, n_outputs=None):
        super().__init__()
        self.net = nn.Sequential([nn.Dense(hidden), nn.ReLU(), nn.Dense(n_classes or n_outputs)])

    def forward(self, x):
        return self.net(x)


def small_cnn(channels=4, n_classes=10):
    """Conv -> ReLU -> pool -> Dense for (N, 1, 8, 8) images."""
    return nn.Sequential([nn.Conv2d(1, channels, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Dense(n_classes)])


def classifier(**kwargs):
    params = dict(module__hidden=32, lr=0.02, max_epochs=20, batch_size=32, random_state=0)
    return NeuralNetClassifier(MLP, **{**params, **kwargs})


def blobs(n=120, classes=3, seed=0):
    X, y = make_blobs(n_samples=n, centers=classes, cluster_std=0.6, random_state=seed)
    return StandardScaler().fit_transform(X).astype(np.float32), y


# No check is listed as an expected failure: every one that applies passes. The two that skip
# here need pandas (a DataFrame variant of *_data_not_an_array) and SCIPY_ARRAY_API=1.
@parametrize_with_checks([classifier(),
                          NeuralNetRegressor(MLP, module__hidden=32, lr=0.02, max_epochs=20,
                                             batch_size=32, random_state=0)])
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)


def test_string_labels_classes_proba_score_and_history():
    X, y = blobs()
    labels = np.array(['cat', 'dog', 'emu'])[y]
    net = classifier().fit(X, labels)
    assert list(net.classes_) == ['cat', 'dog', 'emu'] and net.n_features_in_ == 2
    assert net.predict(X[:5]).dtype == labels.dtype
    proba = net.predict_proba(X)
    assert proba.shape == (120, 3) and proba.dtype == np.float64
    np.testing.assert_allclose(proba.sum(1), 1)
    np.testing.assert_array_equal(net.classes_[proba.argmax(1)], net.predict(X))
    assert net.score(X, labels) > 0.95
    h = net.history_
    assert h.epoch == list(range(20)) and set(h) == {'loss', 'accuracy', 'lr'}
    assert h['loss'][-1] < h['loss'][0] and len(h.step_lr) == 20 * 4   # 4 batches of 32


def test_images_with_a_cnn_and_a_validation_split():
    X, y = load_digits(return_X_y=True)
    X = (X / 16).astype(np.float32).reshape(-1, 1, 8, 8)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0)
    net = NeuralNetClassifier(small_cnn, lr=0.01, max_epochs=6, batch_size=64, random_state=0,
                              train_split=0.2).fit(X_train, y_train)
    assert net.n_features_in_ == 1                       # scikit-learn counts X.shape[1]
    assert net.module_[4].in_features == 4 * 4 * 4      # the lazy Dense saw the first batch
    assert net.score(X_test, y_test) > 0.9
    assert set(net.history_) == {'loss', 'accuracy', 'val_loss', 'val_accuracy', 'lr'}
    assert net.history_['val_accuracy'][-1] > 0.85


def test_nested_parameters_clone_and_set_params():
    net = classifier(optimizer=optim.SGD, optimizer__momentum=0.9, criterion__label_smoothing=0.1)
    params = net.get_params()
    assert params['module__hidden'] == 32 and params['optimizer__momentum'] == 0.9
    twin = clone(net)
    assert twin.get_params() == params and 'module__hidden' not in vars(twin)
    twin.set_params(module__hidden=8, lr=0.05)
    assert twin.lr == 0.05 and net.get_params()['module__hidden'] == 32
    X, y = blobs()
    twin.fit(X, y)
    assert twin.module_.net[0].weight.shape == (8, 2)
    assert twin.optimizer_.param_groups[0]['momentum'] == 0.9
    assert twin.criterion_.label_smoothing == 0.1
    with pytest.raises(ValueError, match='Invalid parameter'):
        twin.set_params(hiden=4)
    with pytest.raises(TypeError, match=r"unexpected parameters \['hiden'\]"):
        NeuralNetClassifier(MLP, hiden=4).fit(X, y)


def test_module_instance_is_copied_and_takes_no_parameters():
    X, y = blobs()
    mdl.manual_seed(0)
    module = MLP(8, n_classes=3)
    module(mdl.tensor(X[:1]))                             # build the lazy layers
    before = module.net[0].weight.detach().numpy().copy()
    net = NeuralNetClassifier(module, lr=0.02, max_epochs=30).fit(X, y)
    np.testing.assert_array_equal(module.net[0].weight.detach().numpy(), before)    # untouched
    assert net.module_ is not module and net.score(X, y) > 0.8
    with pytest.raises(ValueError, match='is an instance'):
        NeuralNetClassifier(module, module__hidden=4).fit(X, y)


def test_hyperparameters_are_checked_by_fit_with_their_names():
    X, y = blobs(n=10)
    for params, message in (({'max_epochs': 0}, 'max_epochs must be a positive int, got 0'),
                            ({'batch_size': 2.5}, 'batch_size must be a positive int'),
                            ({'train_split': 1.0}, 'train_split must be None or a fraction'),
                            ({'train_split': 0.01}, 'leaves 0 for validation')):
        with pytest.raises(ValueError, match=message):
            classifier(**params).fit(X, y)


def test_verbose_draws_a_progress_bar_per_epoch(monkeypatch):
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    X, y = blobs()
    for verbose in (0, 1):
        out = Terminal()
        monkeypatch.setattr(sys, 'stdout', out)
        classifier(max_epochs=2, verbose=verbose).fit(X, y)
        shown = out.getvalue()
        assert ('Epoch 1/2' in shown and 'Epoch 2/2' in shown) == bool(verbose)


def test_a_module_with_the_wrong_number_of_outputs_is_named():
    X, y = blobs(classes=3)
    with pytest.raises(ValueError, match=r"shape \(1, 5\), but y has 3 classes"):
        classifier(module__n_classes=5).fit(X, y)


def test_random_state_repeats_and_leaves_minidl_generators_alone():
    X, y = blobs()
    mdl.manual_seed(7)
    expected = mdl.randn(3).numpy()
    mdl.manual_seed(7)
    a = classifier(max_epochs=3).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(mdl.randn(3).numpy(), expected)
    np.testing.assert_array_equal(classifier(max_epochs=3).fit(X, y).predict_proba(X), a)
    assert not np.array_equal(classifier(max_epochs=3, random_state=1).fit(X, y)
                              .predict_proba(X), a)
    mdl.manual_seed(3)                                     # random_state=None: minidl's seed
    b = classifier(max_epochs=3, random_state=None).fit(X, y).predict_proba(X)
    mdl.manual_seed(3)
    np.testing.assert_array_equal(
        classifier(max_epochs=3, random_state=None).fit(X, y).predict_proba(X), b)


def test_partial_fit_one_epoch_at_a_time_with_classes_given_first():
    X, y = blobs()
    net = classifier()
    net.partial_fit(X[y < 2], y[y < 2], classes=[0, 1, 2])
    assert list(net.classes_) == [0, 1, 2] and net.history_.epoch == [0]
    for _ in range(5):
        net.partial_fit(X, y)
    assert net.history_.epoch == list(range(6)) and net.score(X, y) > 0.9
    with pytest.raises(ValueError, match=r"labels \[7\] that are not among the classes"):
        net.partial_fit(X[:3], np.array([0, 7, 1]))
    with pytest.raises(ValueError, match='2 features'):
        net.partial_fit(X[:, :1], y)


def _same_training(a, b, X, y):
    """Both estimators predict alike, then still alike after two more epochs each."""
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    for net in (a, b):
        net.partial_fit(X, y).partial_fit(X, y)
    np.testing.assert_allclose(a.predict_proba(X), b.predict_proba(X), rtol=1e-6, atol=1e-9)


def test_pickle_round_trip_predicts_and_trains_like_the_original():
    X, y = blobs()
    net = classifier(max_epochs=3, train_split=0.25, callbacks=[EarlyStopping(patience=5)])
    net.fit(X, y)
    assert net.callbacks_[0].model is net.module_ and net.callbacks_[0].train_data is None
    assert all(p.grad is None for p in net.module_.parameters())    # nothing to pickle there
    assert net.callbacks[0].model is None            # the user's callback stays untouched
    copy = pickle.loads(pickle.dumps(net))
    assert copy.history_ == net.history_ and copy.history_.step_lr == net.history_.step_lr
    _same_training(net, copy, X, y)


def test_joblib_memmap_round_trip_hands_back_memmaps_that_predict_and_train(tmp_path):
    X, y = blobs()
    net = classifier(max_epochs=3).fit(X, y)
    joblib.dump(net, tmp_path / 'net.joblib')
    copy = joblib.load(tmp_path / 'net.joblib', mmap_mode='r')
    weights = [p.array for p in copy.module_.parameters()]
    assert all(isinstance(w, np.memmap) and not w.flags.writeable for w in weights)
    assert any(isinstance(v, np.memmap) for s in copy.optimizer_.state.values()
               for v in s.values())
    np.testing.assert_array_equal(copy.score(X, y), net.score(X, y))
    _same_training(net, copy, X, y)                  # training copies the read-only arrays
    assert not isinstance(copy.module_.net[0].weight.array, np.memmap)


def test_regressor_one_and_several_outputs():
    X, y = make_regression(n_samples=200, n_features=5, n_targets=2, noise=1, random_state=0)
    X = StandardScaler().fit_transform(X)
    y = StandardScaler().fit_transform(y)
    reg = NeuralNetRegressor(MLP, module__hidden=32, lr=0.02, max_epochs=30, batch_size=32,
                             random_state=0)
    one = clone(reg).fit(X, y[:, 0])
    assert one.n_outputs_ == 1 and one.predict(X).shape == (200,) and one.score(X, y[:, 0]) > 0.9
    two = clone(reg).fit(X, y)
    assert two.n_outputs_ == 2 and two.predict(X).shape == (200, 2) and two.score(X, y) > 0.9
    assert set(two.history_) == {'loss', 'lr'}
    with pytest.raises(ValueError, match='1 outputs per sample, but the first fit had 2'):
        two.partial_fit(X, y[:, 0])


def test_pipeline_and_cross_val_score():
    X, y = make_blobs(n_samples=150, centers=3, random_state=1)
    X = X * 100 + 500                                   # far from standard scale
    pipe = Pipeline([('scale', StandardScaler()), ('net', classifier(max_epochs=10))])
    scores = cross_val_score(pipe, X, y, cv=3)
    assert scores.shape == (3,) and scores.min() > 0.9


@pytest.mark.slow
def test_grid_search_over_two_processes_with_nested_parameters():
    X, y = blobs(n=90)
    net = classifier(max_epochs=5)
    pickle.dumps(net)                                   # loky ships it to the workers so
    grid = GridSearchCV(net, {'lr': [0.001, 0.03], 'module__hidden': [4, 16]}, cv=2, n_jobs=2)
    grid.fit(X, y)
    assert grid.best_params_ == {'lr': 0.03, 'module__hidden': 16}
    assert grid.best_estimator_.module_.net[0].weight.shape == (16, 2)
    assert grid.score(X, y) > 0.9


def test_fits_on_each_device(device):
    X, y = blobs()
    net = classifier(device=device, max_epochs=5).fit(X, y)
    assert next(net.module_.parameters()).device == mdl.backend.canonical_device(device)
    assert net.score(X, y) > 0.9


def test_import_minidl_imports_neither_estimators_nor_matplotlib():
    code = ("import sys, minidl as mdl\n"
            "assert 'minidl.sklearn' not in sys.modules and 'matplotlib' not in sys.modules\n"
            "assert mdl.sklearn.NeuralNetClassifier.__name__ == 'NeuralNetClassifier'\n"
            "import minidl.plot\n"
            "assert 'matplotlib' not in sys.modules\n")
    done = subprocess.run([sys.executable, '-c', code], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
