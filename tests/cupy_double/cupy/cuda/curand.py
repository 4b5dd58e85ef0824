"""cupy.cuda.curand of the CuPy double: the generator-type constants that RandomState's
``method`` takes (cuRAND's values, as in cupy_backends.cuda.libs.curand). The double draws from
NumPy's PCG64 whatever the method; it only checks that the method is one cuRAND knows."""
CURAND_RNG_PSEUDO_DEFAULT = 100
CURAND_RNG_PSEUDO_XORWOW = 101
CURAND_RNG_PSEUDO_MRG32K3A = 121
CURAND_RNG_PSEUDO_MTGP32 = 141
CURAND_RNG_PSEUDO_MT19937 = 142
CURAND_RNG_PSEUDO_PHILOX4_32_10 = 161

PSEUDO_METHODS = (CURAND_RNG_PSEUDO_DEFAULT, CURAND_RNG_PSEUDO_XORWOW, CURAND_RNG_PSEUDO_MRG32K3A,
                  CURAND_RNG_PSEUDO_MTGP32, CURAND_RNG_PSEUDO_MT19937,
                  CURAND_RNG_PSEUDO_PHILOX4_32_10)
