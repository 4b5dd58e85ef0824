"""cupyx.scipy.special of the CuPy double: a few of its ufuncs, computed by SciPy."""
import scipy.special

from ..._ufunc import ufunc

erf, erfc, erfinv, expit, logit, gammaln = (ufunc(getattr(scipy.special, name), name) for name in
                                            ('erf', 'erfc', 'erfinv', 'expit', 'logit', 'gammaln'))
