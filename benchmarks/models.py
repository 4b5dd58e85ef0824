"""Two widely used models as PyTorch's example scripts write them, ported the way a user ports a
script: the same text run with ``torch`` bound to PyTorch or to minidl (``import minidl as
torch``). No minidl-specific tricks: in-place residual additions, F.relu, torch.flatten, the
layers' default initialisations.

    mnist_net(torch)   the MNIST example's Net: Conv2d(1, 32, 3) - ReLU - Conv2d(32, 64, 3) -
                       ReLU - MaxPool2d(2) - Dropout(0.25) - Flatten - Linear(9216, 128) - ReLU
                       - Dropout(0.5) - Linear(128, 10) - log_softmax, for (N, 1, 28, 28)
    resnet18(torch)    ResNet-18 in the CIFAR layout: a 3x3 stem of 64 channels, four stages
                       of two basic blocks (64, 128, 256, 512 channels; stride 2 and a 1x1
                       shortcut convolution with BatchNorm where the shape changes), global
                       average pooling, Linear(512, classes), for (N, 3, 32, 32)
"""


def mnist_net(torch):
    """The Net of PyTorch's examples/mnist/main.py, built with ``torch``'s nn."""
    nn, F = torch.nn, torch.nn.functional

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 32, 3, 1)
            self.conv2 = nn.Conv2d(32, 64, 3, 1)
            self.dropout1 = nn.Dropout(0.25)
            self.dropout2 = nn.Dropout(0.5)
            self.fc1 = nn.Linear(9216, 128)
            self.fc2 = nn.Linear(128, 10)

        def forward(self, x):
            x = F.relu(self.conv1(x))
            x = F.relu(self.conv2(x))
            x = F.max_pool2d(x, 2)
            x = self.dropout1(x)
            x = torch.flatten(x, 1)
            x = F.relu(self.fc1(x))
            x = self.dropout2(x)
            return F.log_softmax(self.fc2(x), dim=1)
    return Net()


def resnet18(torch, num_classes=10):
    """ResNet-18 for 32x32 images (the layout of the common CIFAR-10 ports), with ``torch``'s
    nn."""
    nn, F = torch.nn, torch.nn.functional

    class BasicBlock(nn.Module):
        expansion = 1

        def __init__(self, in_planes, planes, stride=1):
            super().__init__()
            self.conv1 = nn.Conv2d(in_planes, planes, 3, stride=stride, padding=1, bias=False)
            self.bn1 = nn.BatchNorm2d(planes)
            self.conv2 = nn.Conv2d(planes, planes, 3, stride=1, padding=1, bias=False)
            self.bn2 = nn.BatchNorm2d(planes)
            self.shortcut = nn.Sequential()
            if stride != 1 or in_planes != planes:
                self.shortcut = nn.Sequential(
                    nn.Conv2d(in_planes, planes, 1, stride=stride, bias=False),
                    nn.BatchNorm2d(planes))

        def forward(self, x):
            out = F.relu(self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            out += self.shortcut(x)
            return F.relu(out)

    class ResNet(nn.Module):
        def __init__(self, blocks=(2, 2, 2, 2)):
            super().__init__()
            self.in_planes = 64
            self.conv1 = nn.Conv2d(3, 64, 3, stride=1, padding=1, bias=False)
            self.bn1 = nn.BatchNorm2d(64)
            self.layer1 = self._make_layer(64, blocks[0], 1)
            self.layer2 = self._make_layer(128, blocks[1], 2)
            self.layer3 = self._make_layer(256, blocks[2], 2)
            self.layer4 = self._make_layer(512, blocks[3], 2)
            self.linear = nn.Linear(512, num_classes)

        def _make_layer(self, planes, count, stride):
            layers = []
            for s in [stride] + [1] * (count - 1):
                layers.append(BasicBlock(self.in_planes, planes, s))
                self.in_planes = planes
            return nn.Sequential(*layers)

        def forward(self, x):
            out = F.relu(self.bn1(self.conv1(x)))
            out = self.layer4(self.layer3(self.layer2(self.layer1(out))))
            out = F.adaptive_avg_pool2d(out, 1)
            return self.linear(torch.flatten(out, 1))
    return ResNet()
