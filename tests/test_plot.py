"""minidl.plot: every picture renders (Agg, no pyplot) to a PNG of the figure's size that is not
blank, shows the numbers it is about, and says how to install matplotlib when it is missing."""
import importlib.util
import sys

import numpy as np
import pytest
from sklearn.metrics import confusion_matrix

import minidl as mdl
from minidl import nn, optim, plot
from minidl.data import DataLoader, TensorDataset
from minidl.train import fit, predict

PNG_SIGNATURE = b'\x89PNG\r\n\x1a\n'


needs_matplotlib = pytest.mark.skipif(importlib.util.find_spec('matplotlib') is None,
                                      reason='matplotlib not installed (pip install -e .[plot])')


def check_png(path, width, height):
    """``path`` is a PNG of width x height pixels with something drawn on it."""
    import matplotlib.image
    with open(path, 'rb') as f:
        assert f.read(8) == PNG_SIGNATURE
    image = matplotlib.image.imread(path)
    assert image.shape[:2] == (height, width)
    assert image[..., :3].std() > 0.05                 # a blank page has no variance


def cnn():
    return nn.Sequential([nn.Conv2d(1, 6, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(6, 4, 3, padding=1), nn.ReLU(), nn.AvgPool2d(2),
                          nn.Flatten(), nn.Dense(3)])


def trained_history(val=True):
    x = mdl.randn(48, 1, 8, 8).numpy()
    y = np.arange(48) % 3
    model = cnn()
    opt = optim.SGD(model.parameters(), lr=0.1)
    loader = DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True)
    cycle = optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, epochs=4, steps_per_epoch=3)
    history = fit(model, loader, nn.CrossEntropyLoss(), opt, 4, scheduler=cycle,
                  val_data=loader if val else None, progress=False)
    return model, history


@needs_matplotlib
def test_history_curves_loss_accuracy_and_every_steps_learning_rate(tmp_path):
    _, history = trained_history()
    fig = plot.plot_history(history, tmp_path / 'curves.png')
    check_png(tmp_path / 'curves.png', 1200, 320)
    loss, accuracy, lr = fig.axes
    assert [a.get_title() for a in fig.axes] == ['loss', 'accuracy', 'learning rate']
    train, val = loss.get_lines()
    np.testing.assert_array_equal(train.get_xdata(), [1, 2, 3, 4])
    np.testing.assert_allclose(val.get_ydata(), history['val_loss'])
    np.testing.assert_allclose(accuracy.get_lines()[0].get_ydata(), history['accuracy'])
    np.testing.assert_allclose(lr.get_lines()[0].get_ydata(), history.step_lr)
    assert len(history.step_lr) == 12 and lr.get_xlabel() == 'step'


@needs_matplotlib
def test_history_from_a_plain_dict_and_from_an_estimator(tmp_path):
    fig = plot.plot_history({'loss': [2.0, 1.0, 0.5], 'lr': [0.1, 0.1, 0.01]},
                            tmp_path / 'dict.png')
    check_png(tmp_path / 'dict.png', 800, 320)                   # loss and lr per epoch
    assert fig.axes[1].get_xlabel() == 'epoch' and len(fig.axes[0].get_lines()) == 1
    from minidl.sklearn import NeuralNetRegressor
    x = np.linspace(-1, 1, 40)[:, None]
    net = NeuralNetRegressor(nn.Dense(1), max_epochs=3, random_state=0).fit(x, 2 * x[:, 0])
    fig = plot.plot_history(net)
    np.testing.assert_allclose(fig.axes[0].get_lines()[0].get_ydata(), net.history_['loss'])
    with pytest.raises(ValueError, match='no epoch'):
        plot.plot_history({'loss': []})


@needs_matplotlib
def test_filters_of_one_and_of_several_input_channels(tmp_path):
    model = cnn()
    fig = plot.plot_filters(model, tmp_path / 'first.png')       # the first conv: 6 filters
    check_png(tmp_path / 'first.png', 325, 200)                  # 2 rows of 3
    images = [ax.get_images()[0].get_array() for ax in fig.axes if ax.get_images()]
    assert len(images) == 6
    np.testing.assert_allclose(images[4], model[0].weight.detach().numpy()[4, 0])
    assert fig._suptitle.get_text() == '6 filters, 3x3 each'
    fig = plot.plot_filters(model[3], tmp_path / 'second.png', max_filters=3)
    check_png(tmp_path / 'second.png', 550, 275)                 # 3 rows x 6 channels
    assert fig._suptitle.get_text() == 'first 3 of 4 filters x 6 input channels, 3x3 each'
    conv1d = nn.Conv1d(2, 5, 4)
    fig = plot.plot_filters(conv1d.weight)                        # a (2, 4) image per filter
    assert fig.axes[0].get_images()[0].get_array().shape == (2, 4)
    with pytest.raises(ValueError, match='no Conv1d or Conv2d'):
        plot.plot_filters(nn.Dense(3, 2))
    with pytest.raises(ValueError, match=r'got shape \(3, 2\)'):
        plot.plot_filters(np.zeros((3, 2)))


@needs_matplotlib
def test_feature_maps_of_one_input_through_each_conv_and_pool(tmp_path):
    model, _ = trained_history(val=False)
    x = mdl.randn(1, 8, 8)
    fig = plot.plot_feature_maps(model, x, tmp_path / 'maps.png', max_maps=4)
    check_png(tmp_path / 'maps.png', 600, 605)          # 5 rows (input, conv, pool x 2) x 4
    labels = [ax.get_ylabel() for ax in fig.axes if ax.get_ylabel()]
    assert labels == ['input\n1x8x8', '0: Conv2d\n6x8x8', '2: MaxPool2d\n6x4x4',
                      '3: Conv2d\n4x4x4', '5: AvgPool2d\n4x2x2']
    row_of_first_conv = fig.axes[4:8]
    expected = model[0](x[None])[0].detach().numpy()
    np.testing.assert_allclose(row_of_first_conv[2].get_images()[0].get_array(), expected[2],
                               rtol=1e-6)
    assert model.training and not model[0]._forward_hooks     # mode restored, hooks removed


@needs_matplotlib
def test_confusion_matrix_counts_from_scikit_learn(tmp_path):
    y_true = np.array(['a', 'b', 'c', 'a', 'b', 'c', 'a'])
    y_pred = np.array(['a', 'b', 'b', 'a', 'c', 'c', 'a'])
    fig = plot.plot_confusion_matrix(y_true, y_pred, tmp_path / 'confusion.png')
    check_png(tmp_path / 'confusion.png', 400, 360)
    ax = fig.axes[0]
    shown = np.array([int(t.get_text()) for t in ax.texts]).reshape(3, 3)
    np.testing.assert_array_equal(shown, confusion_matrix(y_true, y_pred))
    assert ax.get_title() == 'Confusion matrix: accuracy 0.7143 (7 samples)'
    assert [t.get_text() for t in ax.get_xticklabels()] == ['a', 'b', 'c']
    fig = plot.plot_confusion_matrix(y_true, y_pred, normalize='true')
    assert fig.axes[0].texts[0].get_text() == '1.00'


@needs_matplotlib
def test_translate_and_scale_shows_the_notes_example(tmp_path):
    fig = plot.plot_translate_and_scale([2, -1], [1, 2, 1], tmp_path / 'conv.png')
    check_png(tmp_path / 'conv.png', 640, 570)
    titles = [ax.get_title(loc='left') for ax in fig.axes]
    assert titles == ['a[0] = 2 times b shifted by 0:  [2 4 2 0]',
                      '+ a[1] = -1 times b shifted by 1:  [0 -1 -2 -1]',
                      '= sum of the copies = a * b:  [2 3 0 -1]']
    np.testing.assert_array_equal(np.convolve([2, -1], [1, 2, 1]), [2, 3, 0, -1])


@needs_matplotlib
def test_predictions_are_unchanged_by_drawing(tmp_path):
    model = cnn()
    x = mdl.randn(5, 1, 8, 8)
    before = predict(model, x).numpy()
    plot.plot_feature_maps(model, x[0])
    np.testing.assert_array_equal(predict(model, x).numpy(), before)


def test_without_matplotlib_the_error_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, 'matplotlib', None)       # makes the import fail
    monkeypatch.setitem(sys.modules, 'matplotlib.figure', None)
    with pytest.raises(ImportError, match=r"pip install -e '\.\[plot\]'"):
        plot.plot_history({'loss': [1.0]})
