"""NeuralNet: what the classifier and the regressor share (hyperparameters, building the
module, training through ``minidl.train.fit``, seeding, the checks on inputs).

The estimator holds hyperparameters only, until ``fit`` builds ``module_``, ``criterion_`` and
``optimizer_`` from them and trains. Parameters of the parts use scikit-learn's double
underscore: ``module__hidden=32`` is passed to the module's builder, ``optimizer__weight_decay``
to the optimizer, ``criterion__label_smoothing`` to the loss, so ``GridSearchCV`` can search
them like any other parameter.
"""
import contextlib
import copy
import inspect
import numbers

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from .. import backend, optim
from ..data import DataLoader, TensorDataset, random_split
from ..nn import Module
from ..train import History, fit, predict

PREFIXES = ('module__', 'criterion__', 'optimizer__')


class NeuralNet(BaseEstimator):
    """Base class of NeuralNetClassifier and NeuralNetRegressor (use those).

    module: the network, as an instance (copied at every ``fit``, so its weights are the
    starting point), or a class or callable that builds one from the ``module__`` parameters.
    A builder that names ``n_features_in``, ``n_classes`` (classifier) or ``n_outputs``
    (regressor) among its arguments gets them from the data unless they are set. The module
    maps a float32 batch of X (N, ...) to (N, n_classes) class scores or (N, n_outputs) values;
    lazy ``Dense`` sizes resolve on the first batch.
    criterion: a loss class, instance or builder (None: the estimator's default loss).
    optimizer: an optimizer class (or callable(params, lr=lr, **optimizer__ parameters)).
    lr, max_epochs, batch_size: as their names say. train_split: None, or the fraction of the
    training data held out to report ``val_loss`` (and ``val_accuracy``) per epoch.
    callbacks: minidl.train callbacks (copied at every fit, into ``callbacks_``).
    device: 'cpu', 'cuda' or None (minidl's default device). random_state: None (minidl's
    global generator), an int or a RandomState: initialisation, shuffling and dropout repeat
    exactly, and minidl's global generator is left as it was. verbose: a tqdm bar per epoch
    (on a terminal or in a notebook).
    """
    default_criterion = None       # the loss class that criterion=None stands for
    metrics = ()                   # what minidl.train.fit measures besides the loss
    multi_output = False           # whether y may have a column per output

    def __init__(self, module, criterion=None, optimizer=optim.Adam, lr=0.001, max_epochs=10,
                 batch_size=128, train_split=None, callbacks=None, device=None,
                 random_state=None, verbose=0, **kwargs):
        self.module, self.criterion, self.optimizer, self.lr = module, criterion, optimizer, lr
        self.max_epochs, self.batch_size, self.train_split = max_epochs, batch_size, train_split
        self.callbacks, self.device, self.random_state = callbacks, device, random_state
        self.verbose = verbose
        # kept apart from the attributes, where scikit-learn expects only its named parameters;
        # checked by fit, as scikit-learn checks every parameter
        self._part_params = dict(kwargs)

    # ------------------------------------------------------------ scikit-learn parameters
    def get_params(self, deep=True):
        """The estimator's parameters by name, the parts' ``module__...`` ones included."""
        return {**super().get_params(deep), **self._part_params}

    def set_params(self, **params):
        """Set parameters by name (``lr=0.01``, ``module__hidden=64``); they apply at the next
        fit. Returns self."""
        parts = {k: v for k, v in params.items()
                 if k.startswith(PREFIXES) or k in self._part_params}
        self._part_params.update(parts)
        super().set_params(**{k: v for k, v in params.items() if k not in parts})
        return self

    def _part_kwargs(self, prefix):
        return {k[len(prefix) + 2:]: v for k, v in self._part_params.items()
                if k.startswith(prefix + '__')}

    # ------------------------------------------------------------ fitting
    def fit(self, X, y):
        """Build the module, criterion and optimizer afresh and train for ``max_epochs`` on X
        (N, ...) and y (N,) or (N, n_outputs). Returns self."""
        return self._fit(X, y, self.max_epochs, warm=False)

    def partial_fit(self, X, y):
        """Train one more epoch on X, y (the first call builds the module as fit does).
        Returns self."""
        return self._fit(X, y, 1, warm=hasattr(self, 'module_'))

    def _fit(self, X, y, epochs, warm, classes=None):
        self._check_hyperparameters()
        X, y = validate_data(self, X, y, reset=not warm, dtype=np.float32, allow_nd=True,
                             multi_output=self.multi_output)
        y = self._encode_targets(y, warm, classes)
        with self._random_numbers(warm):
            if warm:
                self._own_arrays()
            else:
                self._initialize(X)
            self._train(X, y, epochs)
        return self

    def _check_hyperparameters(self):
        unknown = sorted(k for k in self._part_params if not k.startswith(PREFIXES))
        if unknown:
            raise TypeError(f"{type(self).__name__}: unexpected parameters {unknown}; those of "
                            f"the parts start with {', '.join(PREFIXES)}")
        for name in ('max_epochs', 'batch_size'):
            value = getattr(self, name)
            if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{type(self).__name__}: {name} must be a positive int, got "
                                 f"{value!r}")
        split = self.train_split
        if split is not None and not (isinstance(split, numbers.Real) and 0 < split < 1):
            raise ValueError(f"{type(self).__name__}: train_split must be None or a fraction "
                             f"strictly between 0 and 1 (of the data held out), got {split!r}")

    @contextlib.contextmanager
    def _random_numbers(self, warm):
        """Train on minidl's global generators (random_state=None), or on generators seeded
        from random_state that partial_fit continues, leaving the global ones untouched."""
        if self.random_state is None:
            yield
            return
        with backend.fork_rng():
            state = getattr(self, '_rng_state', None) if warm else None
            if state is None:
                seed = self.random_state
                if not isinstance(seed, numbers.Integral):   # a RandomState gives one
                    seed = check_random_state(seed).randint(np.iinfo(np.int32).max)
                backend.manual_seed(int(seed))
            else:
                backend.set_rng_state(state)
            yield
            self._rng_state = backend.get_rng_state()

    def _initialize(self, X):
        """Build module_, criterion_, optimizer_, callbacks_ and an empty history_."""
        name = type(self).__name__
        meta = {'n_features_in': self.n_features_in_, **self._meta()}
        self.module_ = build(f'{name}: module', self.module, self._part_kwargs('module'), meta)
        criterion = self.default_criterion if self.criterion is None else self.criterion
        self.criterion_ = build(f'{name}: criterion', criterion,
                                self._part_kwargs('criterion'), {})
        if self.device is not None:
            self.module_.to(self.device)
            self.criterion_.to(self.device)
        self._check_output(predict(self.module_, X[:1], device=self.device))
        self.optimizer_ = self.optimizer(self.module_.parameters(), lr=self.lr,
                                         **self._part_kwargs('optimizer'))
        self.callbacks_ = copy.deepcopy(list(self.callbacks or ()))
        self.history_ = History()
        self._rng_state = None

    def _own_arrays(self):
        """Copy the read-only arrays that joblib's memmap round trip hands back (weights,
        buffers, optimizer state), so that training can update them in place."""
        tensors = list(self.module_.parameters()) + list(self.module_.buffers())
        for t in tensors:
            if isinstance(t.array, np.ndarray) and not t.array.flags.writeable:
                t.array = np.array(t.array)
        for state in self.optimizer_.state.values():
            for key, value in state.items():
                if isinstance(value, np.ndarray) and not value.flags.writeable:
                    state[key] = np.array(value)

    def _train(self, X, y, epochs):
        data, val_loader = TensorDataset(X, y), None
        if self.train_split is not None:
            n_val = int(round(len(X) * self.train_split))
            if not 0 < n_val < len(X):
                raise ValueError(f"{type(self).__name__}: train_split={self.train_split} of "
                                 f"{len(X)} samples leaves {n_val} for validation and "
                                 f"{len(X) - n_val} for training; both need at least one")
            data, val = random_split(data, [len(X) - n_val, n_val])
            val_loader = DataLoader(val, batch_size=self.batch_size, device=self.device)
        loader = DataLoader(data, batch_size=self.batch_size, shuffle=True, device=self.device)
        start = len(self.history_.epoch)
        history = fit(self.module_, loader, self.criterion_, self.optimizer_, start + epochs,
                      val_data=val_loader, callbacks=self.callbacks_,
                      progress=bool(self.verbose), device=self.device, metrics=self.metrics,
                      start_epoch=start)
        self.history_.extend(history)
        self.optimizer_.zero_grad()   # the fitted estimator keeps (and pickles) no gradients
        for cb in self.callbacks_:
            cb.train_data = None      # nor the training set

    # ------------------------------------------------------------ predicting
    def __sklearn_is_fitted__(self):
        return hasattr(self, 'module_')

    def _outputs(self, X):
        """The module's outputs for X as a float64 NumPy array (N, ...), in eval mode."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float32, allow_nd=True)
        out = predict(self.module_, X, batch_size=self.batch_size, device=self.device)
        return np.asarray(backend.to_numpy(out.array), dtype=np.float64)

    def _check_output(self, out):
        """ValueError when the module's output for one sample is not the (1, k) expected."""
        expected, what = self._expected_outputs()
        if tuple(out.shape) != (1, expected):
            raise ValueError(f"{type(self).__name__}: the module maps one sample to an output "
                             f"of shape {tuple(out.shape)}, but {what}: it must give (N, "
                             f"{expected}) for N samples")


def build(what, spec, kwargs, meta):
    """A Module from ``spec``: an instance (deep-copied), or a class or callable called with
    ``kwargs`` and those of ``meta`` that its signature names and ``kwargs`` does not set."""
    if isinstance(spec, Module):
        if kwargs:
            raise ValueError(f"{what} is an instance, so its parameters {sorted(kwargs)} cannot "
                             "be applied: pass its class (or a function that builds it)")
        return copy.deepcopy(spec)
    if not callable(spec):
        raise TypeError(f"{what} must be a minidl Module, a Module class or a callable that "
                        f"builds one, got {spec!r}")
    try:
        names = inspect.signature(spec).parameters
    except (TypeError, ValueError):    # a builtin without a signature takes no meta arguments
        names = {}
    extra = {k: v for k, v in meta.items() if k in names and k not in kwargs}
    module = spec(**kwargs, **extra)
    if not isinstance(module, Module):
        raise TypeError(f"{what}: {spec!r} built a {type(module).__name__}, not a minidl "
                        "Module")
    return module
