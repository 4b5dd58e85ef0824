"""Why convolutions: count the parameters of a fully connected layer on an image.

The lecture notes' argument: a 200x200 RGB image has 200 * 200 * 3 = 120,000 inputs; a fully
connected layer of 1,000 units on it has 120,000 * 1,000 weights + 1,000 biases =
120,001,000 parameters. (The notes write "12 million": it is 120 million.) A small
conv -> pool -> conv -> pool -> fully connected network on the same image needs about 26 times
fewer, and almost all of them sit in its last (fully connected) layer: the two convolutions,
which share their small kernels across every position of the image, hold only 14,048.

    python examples/param_counts.py [--device cuda]

Building the fully connected model allocates its 480 MB of float32 weights.
"""
import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # run from a checkout

import minidl as mdl                                          # noqa: E402
import minidl.nn as nn                                        # noqa: E402

IMAGE = (3, 200, 200)
UNITS = 1000


def fully_connected(units=UNITS):
    """Flatten the image and connect every pixel value to every one of ``units`` units."""
    return nn.Sequential([nn.Flatten(), nn.Dense(units)])


def small_convnet(units=UNITS):
    """conv(5x5, 16) -> ReLU -> maxpool 4 -> conv(5x5, 32) -> ReLU -> maxpool 4 -> FC(units)."""
    return nn.Sequential([
        nn.Conv2d(3, 16, 5, padding=2), nn.ReLU(), nn.MaxPool2d(4),
        nn.Conv2d(16, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(4),
        nn.Flatten(), nn.Dense(units),
    ])


def main(argv=None):
    """Build both models on a (3, 200, 200) image, print their summaries and the ratio.

    Returns a dict: fc_params, conv_params (the whole conv net), conv_layer_params (its two
    convolutions), ratio (fc_params / conv_params), fc_summary and conv_summary (the tables).
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--device', default='cpu', help="'cpu' or 'cuda'")
    parser.add_argument('--quiet', action='store_true', help='print nothing')
    args = parser.parse_args(argv)
    say = (lambda *a: None) if args.quiet else print
    mdl.manual_seed(0)

    fc = fully_connected().to(args.device)
    # one image is enough for the dry run that builds the lazy Dense layer
    fc_summary = fc.summary(IMAGE, batch_size=1, print_fn=None)
    conv = small_convnet().to(args.device)
    conv_summary = conv.summary(IMAGE, batch_size=1, print_fn=None)

    fc_params = fc.num_parameters()
    conv_params = conv.num_parameters()
    conv_layer_params = sum(m.num_parameters() for m in conv if isinstance(m, nn.Conv2d))
    formula = IMAGE[0] * IMAGE[1] * IMAGE[2] * UNITS + UNITS
    assert fc_params == formula, (fc_params, formula)
    ratio = fc_params / conv_params

    say(f"A {IMAGE[1]}x{IMAGE[2]} RGB image into a fully connected layer of {UNITS:,} units:")
    say(fc_summary)
    say(f"200 * 200 * 3 * 1,000 + 1,000 = {fc_params:,} parameters: 120 million "
        "(the notes' \"12 million\" is off by a factor of 10).\n")
    say("The same image through conv -> pool -> conv -> pool -> fully connected:")
    say(conv_summary)
    say(f"The two convolutions hold {conv_layer_params:,} parameters; the final fully connected "
        f"layer {conv_params - conv_layer_params:,}.")
    say(f"Fully connected / convolutional: {fc_params:,} / {conv_params:,} = {ratio:.1f} times "
        "more parameters.")
    return dict(fc_params=fc_params, conv_params=conv_params,
                conv_layer_params=conv_layer_params, ratio=ratio,
                fc_summary=fc_summary, conv_summary=conv_summary)


if __name__ == '__main__':
    main()
