"""NeuralNetClassifier and NeuralNetRegressor: a minidl module as a scikit-learn estimator."""
import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.utils.multiclass import check_classification_targets

from ..nn import CrossEntropyLoss, MSELoss
from .base import NeuralNet


class NeuralNetClassifier(ClassifierMixin, NeuralNet):
    """A classifier whose module maps X (N, ...) to class scores (N, n_classes): logits for
    the default criterion, CrossEntropyLoss (or log-probabilities for NLLLoss).

    NeuralNetClassifier(module, criterion=None, optimizer=optim.Adam, lr=0.001, max_epochs=10,
    batch_size=128, train_split=None, callbacks=None, device=None, random_state=None,
    verbose=0, **module__/criterion__/optimizer__ parameters): see ``NeuralNet``. Labels of any
    type that NumPy sorts (ints, strings...) are learned as ``classes_``; a module builder that
    names ``n_classes`` gets their number. After fit: ``module_``, ``optimizer_``,
    ``criterion_``, ``callbacks_``, ``classes_``, ``n_features_in_`` and ``history_`` (per
    epoch: loss, accuracy, lr, and val_loss, val_accuracy with ``train_split``).
    """
    default_criterion = CrossEntropyLoss
    metrics = ('accuracy',)

    def partial_fit(self, X, y, classes=None):
        """Train one more epoch on X, y. The first call builds the module as fit does and
        takes ``classes`` (every label that any later call may show) when y lacks some.
        Returns self."""
        warm = hasattr(self, 'module_')
        return self._fit(X, y, 1, warm, classes)

    def _encode_targets(self, y, warm, classes):
        """y's labels as int64 indices into classes_ (learned from y, or ``classes``)."""
        check_classification_targets(y)
        name = type(self).__name__
        if not warm:
            self.classes_ = np.unique(y if classes is None else classes)
        elif classes is not None and not np.array_equal(np.unique(classes), self.classes_):
            raise ValueError(f"{name}: classes={list(classes)} differs from the classes "
                             f"{self.classes_.tolist()} of the first partial_fit")
        index = np.minimum(np.searchsorted(self.classes_, y), len(self.classes_) - 1)
        unknown = self.classes_[index] != y
        if unknown.any():
            raise ValueError(f"{name}: y holds labels {np.unique(y[unknown]).tolist()} that are "
                             f"not among the classes {self.classes_.tolist()} of the first fit; "
                             "pass every class to the first partial_fit as classes=")
        return index.astype(np.int64)

    def _meta(self):
        return {'n_classes': len(self.classes_)}

    def _expected_outputs(self):
        n = len(self.classes_)
        return n, f"y has {n} class{'es' if n != 1 else ''} {self.classes_.tolist()}"

    def predict_proba(self, X):
        """Class probabilities (N, n_classes), float64: the softmax of the module's scores,
        columns in the order of ``classes_``."""
        scores = self._outputs(X)
        scores -= scores.max(axis=1, keepdims=True)     # exp cannot overflow
        p = np.exp(scores)
        return p / p.sum(axis=1, keepdims=True)

    def predict(self, X):
        """The most likely class of each sample (N,), a label from ``classes_``."""
        scores = self._outputs(X)      # first: it says when the estimator is not fitted
        return self.classes_[scores.argmax(axis=1)]


class NeuralNetRegressor(RegressorMixin, NeuralNet):
    """A regressor whose module maps X (N, ...) to values (N, n_outputs), trained with
    MSELoss by default.

    Same parameters as NeuralNetClassifier (see ``NeuralNet``). y is (N,) or (N, n_outputs)
    and is learned as float32; a module builder that names ``n_outputs`` gets its number.
    After fit: ``module_``, ``optimizer_``, ``criterion_``, ``callbacks_``, ``n_outputs_``,
    ``n_features_in_`` and ``history_`` (per epoch: loss, lr, and val_loss with
    ``train_split``). ``predict`` gives float64 (N,) for one output, (N, n_outputs) otherwise.
    """
    default_criterion = MSELoss
    multi_output = True

    def _encode_targets(self, y, warm, classes=None):
        """y as float32 (N, n_outputs), the shape the module's output has."""
        y = np.asarray(y, dtype=np.float32).reshape(len(y), -1)
        if not warm:
            self.n_outputs_ = y.shape[1]
        elif y.shape[1] != self.n_outputs_:
            raise ValueError(f"{type(self).__name__}: y has {y.shape[1]} outputs per sample, "
                             f"but the first fit had {self.n_outputs_}")
        return y

    def _meta(self):
        return {'n_outputs': self.n_outputs_}

    def _expected_outputs(self):
        n = self.n_outputs_
        return n, f"y has {n} output{'s' if n != 1 else ''} per sample"

    def predict(self, X):
        """The module's outputs as float64: (N,) for one output, else (N, n_outputs)."""
        out = self._outputs(X)
        return out.reshape(-1) if self.n_outputs_ == 1 else out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
