"""minidl.sklearn: a minidl network as a scikit-learn estimator (fit/predict/score), so it fits
in a Pipeline, cross_val_score or GridSearchCV.

    from minidl.sklearn import NeuralNetClassifier
    net = NeuralNetClassifier(build_cnn, module__channels=16, lr=0.01, max_epochs=10,
                              random_state=0)
    net.fit(X_train, y_train).score(X_test, y_test)
    GridSearchCV(net, {'lr': [0.003, 0.01], 'module__channels': [8, 16]}, n_jobs=2)

``import minidl`` does not import this module (nor scikit-learn): ``minidl.sklearn`` loads it
on first use. A fitted estimator pickles (scikit-learn's persistence, joblib included); for
weights alone, ``minidl.save`` writes the safe ``.npz`` format.
"""
from .base import NeuralNet
from .estimators import NeuralNetClassifier, NeuralNetRegressor

__all__ = ['NeuralNet', 'NeuralNetClassifier', 'NeuralNetRegressor']
