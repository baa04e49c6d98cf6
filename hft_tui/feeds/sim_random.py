"""The sim venue's randomness: a xoshiro256** stream and fast samplers drawn from it.

All of the venue's randomness comes from one xoshiro256** state (uint64[4],
seeded through splitmix64 as its authors recommend), our own rather than
numba's global ``np.random``: a seed gives the same stream bit for bit whatever
else runs in the process.

Exponential times and lognormal sizes are drawn by inverse transform from
``QUANTILES``-entry quantile tables, linear between entries, with the extreme
bucket(s) sampled exactly (the exponential's tail is memoryless; the normal's
tails use Marsaglia's tail method). That replaces a log, an exp, a sqrt and a
cos per event (most of the generator's time) with a table lookup; the law
differs from the exact one only inside single buckets of probability 1/4096.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
from numba import njit

QUANTILES = 4096
_U53 = 1.0 / 9007199254740992.0
_M = float(QUANTILES)
# |z| beyond which the normal's tails are sampled exactly: the edge of the last bucket
Z_TAIL = NormalDist().inv_cdf(1.0 - 1.0 / QUANTILES)

TAB_EXP, TAB_LIMIT_SIZE, TAB_MARKET_SIZE = 0, 1, 2


@njit(cache=True, nogil=True, _nrt=False)
def rng_next(s):
    s0, s1, s2, s3 = s[0], s[1], s[2], s[3]
    x = s1 * np.uint64(5)
    result = ((x << np.uint64(7)) | (x >> np.uint64(57))) * np.uint64(9)
    t = s1 << np.uint64(17)
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = (s3 << np.uint64(45)) | (s3 >> np.uint64(19))
    s[0], s[1], s[2], s[3] = s0, s1, s2, s3
    return result


@njit(cache=True, nogil=True, _nrt=False)
def rng_uniform(s):
    """Uniform on [0, 1) with 53 random bits."""
    return float(rng_next(s) >> np.uint64(11)) * _U53


@njit(cache=True, nogil=True, _nrt=False)
def exp1(s, tab):
    """Exponential with mean 1."""
    x = rng_uniform(s) * _M
    j = np.int64(x)
    if j < QUANTILES - 1:
        e = tab[TAB_EXP, j]
        return e + (x - j) * (tab[TAB_EXP, j + 1] - e)
    # the last bucket: past its edge an exponential is the edge plus an exponential
    return tab[TAB_EXP, QUANTILES - 1] - np.log(1.0 - rng_uniform(s))


@njit(cache=True, nogil=True, _nrt=False)
def _normal_tail(s):
    """|z| given |z| > Z_TAIL (Marsaglia 1964)."""
    while True:
        x = -np.log(1.0 - rng_uniform(s)) / Z_TAIL
        y = -np.log(1.0 - rng_uniform(s))
        if 2.0 * y > x * x:
            return Z_TAIL + x


@njit(cache=True, nogil=True, _nrt=False)
def lots(s, tab, row, log_mean, log_sd):
    """A lognormal size in lots (at least 1) from table row ``row``, whose law
    is exp(log_mean + log_sd * z) with z standard normal."""
    x = rng_uniform(s) * _M
    j = np.int64(x)
    if 0 < j < QUANTILES - 1:
        a = tab[row, j]
        v = a + (x - j) * (tab[row, j + 1] - a)
    else:
        z = _normal_tail(s)
        v = np.exp(log_mean + log_sd * (z if j > 0 else -z))
    if v > 1e12:
        v = 1e12
    q = np.int64(v + 0.5)
    return q if q >= 1 else np.int64(1)


@njit(cache=True, nogil=True, _nrt=False)
def distance(s, al_p, al_i):
    """1..K from the alias table (Walker): one uniform, one comparison."""
    x = rng_uniform(s) * al_p.shape[0]
    j = np.int64(x)
    if x - j >= al_p[j]:
        j = al_i[j]
    return j + 1


# --- tables, built once per venue in Python ------------------------------------------------
def tables(limit_log_mean: float, market_log_mean: float, log_sd: float) -> np.ndarray:
    """float64[3, QUANTILES + 1]: quantiles at j / QUANTILES of Exp(1) and of the
    two size laws (entries used: 0..QUANTILES-1 for Exp, 1..QUANTILES-1 for sizes)."""
    nd = NormalDist()
    q = np.arange(QUANTILES + 1) / QUANTILES
    tab = np.zeros((3, QUANTILES + 1))
    tab[TAB_EXP, :QUANTILES] = -np.log1p(-q[:QUANTILES])
    z = np.zeros(QUANTILES + 1)
    z[1:QUANTILES] = [nd.inv_cdf(p) for p in q[1:QUANTILES]]
    tab[TAB_LIMIT_SIZE, 1:QUANTILES] = np.exp(limit_log_mean + log_sd * z[1:QUANTILES])
    tab[TAB_MARKET_SIZE, 1:QUANTILES] = np.exp(market_log_mean + log_sd * z[1:QUANTILES])
    return tab


def lognormal_log_mean(mean: float, log_sd: float) -> float:
    """The log-mean that gives a lognormal the arithmetic ``mean``."""
    return math.log(mean) - log_sd**2 / 2


def alias_table(weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Walker's alias table (Vose's construction) for drawing index j with
    probability weights[j] / sum(weights) in O(1)."""
    n = len(weights)
    p = np.asarray(weights, dtype=np.float64) * n / float(np.sum(weights))
    prob = np.ones(n)
    alias = np.arange(n, dtype=np.int64)
    small = [j for j in range(n) if p[j] < 1.0]
    large = [j for j in range(n) if p[j] >= 1.0]
    while small and large:
        s, g = small.pop(), large.pop()
        prob[s] = p[s]
        alias[s] = g
        p[g] -= 1.0 - p[s]
        (small if p[g] < 1.0 else large).append(g)
    return prob, alias  # leftovers keep probability 1 (rounding)


def splitmix64_state(seed: int) -> np.ndarray:
    """xoshiro256** state from a 64-bit seed (an all-zero state is impossible)."""
    mask = (1 << 64) - 1
    x = seed & mask
    words = []
    for _ in range(4):
        x = (x + 0x9E3779B97F4A7C15) & mask
        z = x
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
        words.append(z ^ (z >> 31))
    return np.array(words, dtype=np.uint64)
