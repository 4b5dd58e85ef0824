"""Optimizers that update parameters from their gradients, and learning-rate schedulers.

    opt = mdl.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    sched = mdl.optim.lr_scheduler.StepLR(opt, step_size=10)
    for epoch in range(epochs):
        for x, y in loader:
            opt.zero_grad()
            loss_fn(model(x), y).backward()
            opt.step()
        sched.step()
"""
from . import lr_scheduler
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .nadam import NAdam
from .optimizer import Optimizer
from .radam import RAdam
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ['Optimizer', 'SGD', 'Adam', 'AdamW', 'NAdam', 'RAdam', 'RMSprop', 'Adagrad',
           'Adadelta', 'lr_scheduler']
