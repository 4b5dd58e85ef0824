"""minidl.train: fit/evaluate/predict, callbacks (EarlyStopping, ModelCheckpoint) and resumable
checkpoints.

    from minidl.train import fit, evaluate, EarlyStopping
    history = fit(model, train_loader, nn.CrossEntropyLoss(), opt, epochs=20,
                  val_data=test_loader, callbacks=[EarlyStopping(patience=3)])
"""
from .callbacks import Callback, EarlyStopping, ModelCheckpoint
from .checkpoint import load_checkpoint, save_checkpoint
from .loop import History, evaluate, fit, predict

__all__ = ['Callback', 'EarlyStopping', 'History', 'ModelCheckpoint', 'evaluate', 'fit',
           'load_checkpoint', 'predict', 'save_checkpoint']
