"""The differential test: minidl against PyTorch on random cases drawn by hypothesis.

``draw.py`` draws cases (shapes with broadcasting, 0-d tensors, size-0 and size-1 dims, dtypes
float32/float64/int32/int64/bool, contiguous/transposed/strided layouts, values with ties and
exact zeros); ``run.py`` runs a case in both frameworks and compares; ``registry.py`` holds the
one registry of op specs (and says how to add one); the ``specs_*.py`` modules fill it;
``test_differential.py`` is the test. It skips without torch or hypothesis.
"""
