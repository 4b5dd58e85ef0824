"""Convolution by hand: the three views of the notes, computed and checked to agree.

    python examples/conv_by_hand.py                 # print the walk-through
    python examples/conv_by_hand.py --plot conv.png # also draw the translate-and-scale picture

1. 1-D: a = (2, -1) convolved with b = (1, 2, 1), as translated and scaled copies of b, as a
   Toeplitz matrix times a, and with minidl.functional.convolve1d.
2. 2-D: a 4x4 grid and a 2x2 kernel: the four translations of the grid, each scaled by its
   kernel weight, summed: the cross-correlation conv2d computes (and its block-Toeplitz matrix).
3. The layers' way: the gathered windows (im2col, minidl.functional.unfold) times the flattened
   kernel, one GEMM; and the multiply-adds of each way for the notes' 200x200x3 image and a 5x5
   kernel.
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import minidl as mdl  # noqa: E402
import minidl.functional as F  # noqa: E402

A_1D = (2.0, -1.0)           # the notes' a
B_1D = (1.0, 2.0, 1.0)       # the notes' b (the transcription also shows (1, 2); we use (1, 2, 1))
# A grid and kernel of our own: the notes' 2-D numbers are not legible in the transcription.
X_2D = ((0.0, -1.0, 1.0, 0.0),
        (2.0, 2.0, -1.0, 0.0),
        (3.0, 0.0, 1.0, 2.0),
        (1.0, -2.0, 0.0, 1.0))
W_2D = ((1.0, -1.0),
        (2.0, 1.0))
PLOT_HINT = "--plot needs matplotlib, which is not installed: pip install -e .[plot]"


def show(values):
    """A tensor or array as text, integers without a trailing '.0'."""
    array = mdl.backend.to_numpy(values.array if isinstance(values, mdl.Tensor) else values)
    return np.array2string(np.asarray(array, dtype=np.float64), separator=' ',
                           formatter={'float_kind': lambda v: f'{v + 0:g}'})


def indent(text, prefix='    '):
    return '\n'.join(prefix + line for line in text.splitlines())


def numpy_of(t):
    return mdl.backend.to_numpy(t.array).astype(np.float64)


# ---------------------------------------------------------------- 1. one dimension
def one_dimension(device):
    a = mdl.tensor(A_1D, device=device)
    b = mdl.tensor(B_1D, device=device)
    n, m = len(a), len(b)
    length = n + m - 1
    print(f"1. Convolution in 1-D: a = {show(a)} (n = {n}), b = {show(b)} (m = {m})\n")
    print("   Translate and scale: for each component a[i], b translated by i places and scaled "
          "by a[i].")
    copies = []
    for i in range(n):
        copy = mdl.pad(a[i] * b, (i, length - m - i))   # i zeros before, the rest after
        copies.append(copy)
        label = f"a[{i}] = {a[i].item():g} times b shifted by {i}"
        print(f"     {label:<35}: {show(copy)}")
    total = mdl.stack(copies).sum(0)
    print(f"     {'sum of the copies':<35}: {show(total)}")
    print(f"   The output has n + m - 1 = {n} + {m} - 1 = {length} components: the last copy "
          f"starts at n - 1 = {n - 1}\n   and is m = {m} long, so it ends at index "
          f"{n - 1} + {m} - 1 = {length - 1}.\n")

    T = F.conv_matrix(b, n)
    Ta = T @ a
    print(f"   The same as a matrix product: T ({T.shape[0]}x{T.shape[1]}, column j = b shifted "
          "down by j; constant along diagonals: Toeplitz)")
    print(indent(show(T), '     '))
    print(f"     T @ a                              : {show(Ta)}")
    conv = F.convolve1d(a, b)
    print(f"     convolve1d(a, b)                   : {show(conv)}")
    print(f"     numpy.convolve(a, b)               : {show(np.convolve(A_1D, B_1D))}")
    for name, value in (('T @ a', Ta), ('convolve1d', conv)):
        assert np.allclose(numpy_of(value), numpy_of(total)), f"{name} differs from the sum"
    print("   All equal.\n")
    return {'a': numpy_of(a), 'b': numpy_of(b), 'copies_1d': [numpy_of(c) for c in copies],
            'sum_1d': numpy_of(total), 'toeplitz': numpy_of(T), 'toeplitz_times_a': numpy_of(Ta),
            'convolve1d': numpy_of(conv)}


# ---------------------------------------------------------------- 2. two dimensions
def two_dimensions(device):
    x = mdl.tensor(X_2D, device=device)
    w = mdl.tensor(W_2D, device=device)
    (h, wd), (kh, kw) = x.shape, w.shape
    oh, ow = h - kh + 1, wd - kw + 1
    print(f"2. Two dimensions: a {h}x{wd} input x and a {kh}x{kw} kernel w (no padding, stride 1; "
          f"output {oh}x{ow})")
    print(indent(f"x =\n{indent(show(x))}\nw =\n{indent(show(w))}", '   '))
    print("   Translate the input by (dy, dx), keep the 3x3 part under the output, scale it by "
          "w[dy, dx]:")
    translations = {}
    for dy in range(kh):
        for dx in range(kw):
            part = x[dy:dy + oh, dx:dx + ow] * w[dy, dx]
            translations[(dy, dx)] = part
            print(f"     translate ({dy},{dx}), times w[{dy},{dx}] = {w[dy, dx].item():g}:")
            print(indent(show(part), '       '))
    total = mdl.stack(list(translations.values())).sum(0)
    conv = F.conv2d(x.reshape(1, 1, h, wd), w.reshape(1, 1, kh, kw))[0, 0]
    print("     sum of the four:")
    print(indent(show(total), '       '))
    print("     conv2d(x, w) (a cross-correlation: the kernel is not flipped):")
    print(indent(show(conv), '       '))
    M = F.conv2d_matrix(w, (h, wd))
    Mx = (M @ x.flatten()).reshape(oh, ow)
    print(f"   As a matrix: conv2d_matrix(w, {(h, wd)}) is {M.shape[0]}x{M.shape[1]}, one row per "
          "output pixel (w laid over its window),\n   block-Toeplitz: a Toeplitz matrix of "
          "Toeplitz blocks")
    print(indent(show(M), '     '))
    print("     M @ x.flatten(), reshaped:")
    print(indent(show(Mx), '       '))
    for name, value in (('conv2d', conv), ('M @ x', Mx)):
        assert np.allclose(numpy_of(value), numpy_of(total)), f"{name} differs from the sum"
    print("   All equal.\n")
    return {'x': numpy_of(x), 'w': numpy_of(w),
            'translations_2d': {k: numpy_of(v) for k, v in translations.items()},
            'sum_2d': numpy_of(total), 'conv2d': numpy_of(conv), 'matrix_2d': numpy_of(M),
            'matrix_times_x': numpy_of(Mx)}


# ---------------------------------------------------------------- 3. as the layers do it
def multiply_adds(height=200, width=200, channels=3, kernel=5, out_channels=1):
    """Multiply-adds of one 'same'-padded, stride-1 conv of a (channels, height, width) image
    with out_channels kernels of kernel x kernel, computed three ways."""
    taps = channels * kernel * kernel
    pixels = height * width                         # 'same' padding: output is height x width
    half = (kernel - 1) // 2
    # Taps that land on real pixels (not on padding) along one axis, summed over the outputs.
    real_rows = sum(min(o + kernel - half, height) - max(o - half, 0) for o in range(height))
    real_cols = sum(min(o + kernel - half, width) - max(o - half, 0) for o in range(width))
    return {
        'direct': out_channels * pixels * taps,                   # slide each kernel: 75 per pixel
        'toeplitz': (out_channels * pixels) * (channels * pixels),  # dense matrix times vector
        'toeplitz_nonzero': out_channels * channels * real_rows * real_cols,
        'im2col': pixels * taps * out_channels,                    # (HW x CKK) @ (CKK x Cout)
        'im2col_buffer': pixels * taps,                            # entries of the gathered matrix
    }


def as_layers(x, w, device):
    x, w = mdl.tensor(x, device=device), mdl.tensor(w, device=device)
    (h, wd), (kh, kw) = x.shape, w.shape
    oh, ow = h - kh + 1, wd - kw + 1
    print("3. As the layers compute it: gather every window into a row (im2col), then one matrix "
          "product (GEMM).")
    # Column (dy, dx) of the gathered matrix is the input translated by (dy, dx): the windows
    # matrix is the four translations of part 2 side by side, and the GEMM scales and sums them.
    columns = [x[dy:dy + oh, dx:dx + ow].flatten() for dy in range(kh) for dx in range(kw)]
    windows = mdl.stack(columns, dim=1)
    product = (windows @ w.flatten()).reshape(oh, ow)
    print(f"   windows ({windows.shape[0]}x{windows.shape[1]}: row = one output pixel's "
          f"{kh}x{kw} window, flattened; column = one translation)")
    print(indent(show(windows), '     '))
    print(f"   windows @ w.flatten() = {show(w.flatten())}, reshaped {oh}x{ow}:")
    print(indent(show(product), '     '))
    conv = F.conv2d(x.reshape(1, 1, h, wd), w.reshape(1, 1, kh, kw))[0, 0]
    assert np.allclose(numpy_of(product), numpy_of(conv)), "im2col @ w differs from conv2d"
    print("   Equal to conv2d again. (minidl's conv2d gathers this same matrix, transposed: one "
          "column per\n   output pixel, all channels and the whole batch at once, with a strided "
          "view of the input.)")
    # F.unfold is that gathering, exposed: the windows matrix with one column per output pixel
    unfolded = F.unfold(x.reshape(1, 1, h, wd), (kh, kw))[0]
    assert np.allclose(numpy_of(unfolded), numpy_of(windows).T), "unfold differs from windows"
    assert np.allclose(numpy_of(w.flatten() @ unfolded), numpy_of(conv).flatten())
    print(f"   F.unfold(x, {(kh, kw)}) returns it ({unfolded.shape[0]}x{unfolded.shape[1]}: the "
          "windows as columns), and w.flatten() @ F.unfold(x) is conv2d;\n   F.fold, its "
          "adjoint, adds columns back where their windows lay (col2im: the backward pass).\n")

    height, width, channels, kernel = 200, 200, 3, 5
    print(f"   Multiply-adds for the notes' {height}x{width} RGB image ({channels} channels), a "
          f"{kernel}x{kernel} kernel, padding 'same' ({(kernel - 1) // 2}), stride 1:")
    pixels, taps = height * width, channels * kernel * kernel
    counts = {}
    for cout in (1, 16):
        c = counts[cout] = multiply_adds(height, width, channels, kernel, cout)
        print(f"     {cout} output channel{'s' if cout > 1 else ''}:")
        print(f"       direct sliding windows   : {c['direct']:>18,}  ({pixels:,} pixels * "
              f"{cout} * {taps} taps)")
        print(f"       Toeplitz matrix @ vector : {c['toeplitz']:>18,}  (a {cout * pixels:,} x "
              f"{channels * pixels:,} matrix; only {c['toeplitz_nonzero']:,} entries are not "
              "zero)")
        print(f"       im2col GEMM              : {c['im2col']:>18,}  (({pixels:,} x {taps}) @ "
              f"({taps} x {cout}); gathered buffer {c['im2col_buffer']:,} numbers)")
    print(f"   im2col does the direct count of multiply-adds (counting the padding zeros) as one "
          f"dense GEMM,\n   which BLAS and GPUs run fast, at the price of a buffer "
          f"{kernel * kernel} times the image. The\n   Toeplitz matrix-vector product is the same "
          f"linear map written out in full: "
          f"{counts[1]['toeplitz'] // counts[1]['direct']:,} times\n   the work, almost all of "
          "it multiplying zeros.\n")
    return {'windows': numpy_of(windows), 'windows_times_w': numpy_of(product),
            'unfold': numpy_of(unfolded), 'multiply_adds': counts}


# ---------------------------------------------------------------- main
def main(argv=None):
    """Run the walk-through; returns the computed values (NumPy arrays) in a dict."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--plot', metavar='PATH', help="save the translate-and-scale picture "
                        "as a PNG (needs matplotlib: pip install -e .[plot])")
    parser.add_argument('--device', default='cpu', help="'cpu' (default) or 'cuda'")
    args = parser.parse_args(argv)
    if args.plot:
        try:
            import matplotlib  # noqa: F401  (checked now, before any work)
        except ImportError:
            print(PLOT_HINT, file=sys.stderr)
            raise SystemExit(2)

    results = one_dimension(args.device)
    results.update(two_dimensions(args.device))
    results.update(as_layers(X_2D, W_2D, args.device))
    if args.plot:
        from minidl.plot import plot_translate_and_scale
        plot_translate_and_scale(results['a'], results['b'], args.plot)
        print(f"Saved the translate-and-scale picture to {args.plot}")
        results['plot'] = args.plot
    return results


if __name__ == '__main__':
    main()
