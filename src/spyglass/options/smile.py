"""Per-expiry smiles: raw SVI fitted to the quotes' implied total variance, compiled with numba.

SVI (Gatheral 2004) gives total implied variance w = IV^2 T against log-moneyness k = ln(K/F):
    w(k) = a + b (rho (k - m) + sqrt((k - m)^2 + sigma^2))
Fit (the quasi-explicit method of Zeliade Systems, 2009): for fixed (m, sigma), w is linear in
(a, d, c) = (a, rho b sigma, b sigma) with y = (k - m) / sigma,
    w = a + d y + c sqrt(y^2 + 1),
so the best (a, d, c) is a small least-squares problem, solved exactly under linear constraints:
    |d| <= c                       |rho| <= 1, b >= 0
    c + |d| <= 2 sigma             wing slopes b (1 + |rho|) <= 2 (Lee's moment bound: no arbitrage in the wings)
    a + c - |d| >= 0               the smallest total variance a + sqrt(c^2 - d^2) is not negative
The outer (m, sigma) is searched on a grid over the quoted range, then refined by Nelder-Mead. Every expiry is
fitted on its own (parallel over expiries, no loop over contracts in Python); a fit needs `min_quotes` points.
Errors are weighted by 1 / (4 w), so the fit is least squares in implied vol (dIV = dw / (2 IV T)): the wings'
large total variances do not outweigh the strikes near the money, where gamma lives.
Outside its quotes the smile continues linearly in total variance, as SVI's wings do.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

SVI_PARAMS = ("a", "b", "rho", "m", "sigma")
N_PARAMS = len(SVI_PARAMS)
GRID_M = 7
GRID_SIGMA = 6
SIGMA_RANGE = (1e-3, 2.0)  # relative to max(range of k, 0.01)
NELDER_MEAD_STEPS = 60

# Rows of G in G x <= h for x = (a, d, c); h is (0, 0, 2 sigma, 2 sigma, 0, 0).
_G = np.array(
    [
        [0.0, 1.0, -1.0],  # d - c <= 0
        [0.0, -1.0, -1.0],  # -d - c <= 0
        [0.0, 1.0, 1.0],  # d + c <= 2 sigma
        [0.0, -1.0, 1.0],  # -d + c <= 2 sigma
        [-1.0, 1.0, -1.0],  # -a + d - c <= 0
        [-1.0, -1.0, -1.0],  # -a - d - c <= 0
    ]
)
_SIGMA_ROWS = np.array([0.0, 0.0, 2.0, 2.0, 0.0, 0.0])  # h = sigma * this
# Sets of active constraints (bit r = row r of G), at most three, smallest first.
_ACTIVE_SETS = np.array(
    sorted((m for m in range(1 << len(_G)) if bin(m).count("1") <= 3), key=lambda m: (bin(m).count("1"), m)),
    dtype=np.int64,
)


@nb.njit(cache=True)
def _solve_in_place(a, b, n, out):
    """Solve a[:n, :n] x = b[:n] into out[:n] by Gaussian elimination with partial pivoting (a and b are
    overwritten); False on a singular system."""
    for col in range(n):
        pivot = col
        for row in range(col + 1, n):
            if abs(a[row, col]) > abs(a[pivot, col]):
                pivot = row
        if abs(a[pivot, col]) < 1e-14:
            return False
        if pivot != col:
            for j in range(n):
                a[col, j], a[pivot, j] = a[pivot, j], a[col, j]
            b[col], b[pivot] = b[pivot], b[col]
        for row in range(col + 1, n):
            factor = a[row, col] / a[col, col]
            for j in range(col, n):
                a[row, j] -= factor * a[col, j]
            b[row] -= factor * b[col]
    for row in range(n - 1, -1, -1):
        total = b[row]
        for j in range(row + 1, n):
            total -= a[row, j] * out[j]
        out[row] = total / a[row, row]
    return True


@nb.njit(cache=True)
def _normal_equations(k, w, weight, m, sigma, ata, atw):
    """A'WA into ata, A'Ww into atw, and w'Ww returned, for the linear model w = a + d y + c sqrt(y^2 + 1)."""
    s_u = s_y = s_z = s_yy = s_yz = s_zz = s_w = s_yw = s_zw = s_ww = 0.0  # scalars: kept in registers
    for i in range(k.size):
        y = (k[i] - m) / sigma
        z = math.sqrt(y * y + 1.0)
        u = weight[i]
        s_u += u
        s_y += u * y
        s_z += u * z
        s_yy += u * y * y
        s_yz += u * y * z
        s_zz += u * (y * y + 1.0)
        s_w += u * w[i]
        s_yw += u * y * w[i]
        s_zw += u * z * w[i]
        s_ww += u * w[i] * w[i]
    ata[0, 0], ata[0, 1], ata[0, 2], ata[1, 1], ata[1, 2], ata[2, 2] = s_u, s_y, s_z, s_yy, s_yz, s_zz
    ata[1, 0], ata[2, 0], ata[2, 1] = s_y, s_z, s_yz
    atw[0], atw[1], atw[2] = s_w, s_yw, s_zw
    return s_ww


@nb.njit(cache=True)
def _feasible(x, sigma):
    for r in range(_G.shape[0]):
        if _G[r, 0] * x[0] + _G[r, 1] * x[1] + _G[r, 2] * x[2] > _SIGMA_ROWS[r] * sigma + 1e-12:
            return False
    return True


@nb.njit(cache=True)
def _sse(x, ata, atw, wtw):
    """Sum of squared errors x'A'Ax - 2 x'A'w + w'w."""
    total = wtw
    for p in range(3):
        total -= 2.0 * x[p] * atw[p]
        for q in range(3):
            total += x[p] * ata[p, q] * x[q]
    return total


@nb.njit(cache=True)
def _kkt_solution(mask, ata, atw, sigma, kkt, rhs, solution):
    """The stationary point of the least squares with the constraints in `mask` held as equalities, written to
    solution[:3] (multipliers after); True when it solves, is feasible and its multipliers are not negative."""
    size = 3
    for p in range(3):
        for q in range(3):
            kkt[p, q] = ata[p, q]
        kkt[p, p] += 1e-14 * (1.0 + ata[p, p])
        rhs[p] = atw[p]
    for r in range(_G.shape[0]):
        if (mask >> r) & 1:
            for p in range(3):
                kkt[size, p] = _G[r, p]
                kkt[p, size] = _G[r, p]
            for q in range(3, 6):
                kkt[size, q] = 0.0
                kkt[q, size] = 0.0
            rhs[size] = _SIGMA_ROWS[r] * sigma
            size += 1
    if not _solve_in_place(kkt, rhs, size, solution):
        return False
    for multiplier in range(3, size):
        if solution[multiplier] < -1e-12:
            return False
    return _feasible(solution, sigma)


@nb.njit(cache=True)
def _constrained_fit(ata, atw, wtw, sigma, kkt, rhs, solution, x, last_active):
    """The least-squares (a, d, c) under G x <= h (h = sigma _SIGMA_ROWS), written to x, and its weighted sum
    of squared errors.

    Active-set enumeration, smallest sets first: the first set whose stationary point is feasible with
    non-negative multipliers satisfies the KKT conditions of this convex problem, so it is the optimum. The set
    that was optimal at the previous call (last_active[0], a mask) is tried first: along a search it rarely
    changes. kkt (6, 6), rhs (6) and solution (6) are scratch space."""
    if _kkt_solution(last_active[0], ata, atw, sigma, kkt, rhs, solution):
        x[:] = solution[:3]
        return _sse(x, ata, atw, wtw)
    for mask in _ACTIVE_SETS:
        if mask != last_active[0] and _kkt_solution(mask, ata, atw, sigma, kkt, rhs, solution):
            last_active[0] = mask
            x[:] = solution[:3]
            return _sse(x, ata, atw, wtw)
    x[:] = math.nan
    return math.inf


@nb.njit(cache=True)
def _error_at(k, w, weight, m, log_sigma, ata, atw, kkt, rhs, solution, x, last_active):
    """The least weighted squared error at (m, sigma = e^log_sigma), its (a, d, c) written to x."""
    sigma = math.exp(log_sigma)
    wtw = _normal_equations(k, w, weight, m, sigma, ata, atw)
    return _constrained_fit(ata, atw, wtw, sigma, kkt, rhs, solution, x, last_active)


@nb.njit(cache=True)
def _sort_vertices(sm, sl, values):
    """Order the simplex's three vertices by error, smallest first (insertion sort: stable, no allocation)."""
    for i in range(1, 3):
        j = i
        while j > 0 and values[j] < values[j - 1]:
            sm[j], sm[j - 1] = sm[j - 1], sm[j]
            sl[j], sl[j - 1] = sl[j - 1], sl[j]
            values[j], values[j - 1] = values[j - 1], values[j]
            j -= 1


@nb.njit(cache=True)
def _fit_one(k, w, weight):
    """Raw SVI (a, b, rho, m, sigma) of one expiry and the fit's weighted root-mean-square error."""
    ata, atw = np.empty((3, 3)), np.empty(3)
    kkt, rhs, solution, x = np.empty((6, 6)), np.empty(6), np.empty(6), np.empty(3)
    last_active = np.zeros(1, np.int64)  # the unconstrained fit first
    k_low, k_high = k.min(), k.max()
    scale = max(k_high - k_low, 0.01)
    log_low, log_high = math.log(SIGMA_RANGE[0] * scale), math.log(SIGMA_RANGE[1] * scale)
    best, best_m, best_ls = math.inf, 0.0, 0.0
    for i in range(GRID_M):
        m = k_low + (k_high - k_low) * i / (GRID_M - 1)
        for j in range(GRID_SIGMA):
            ls = log_low + (log_high - log_low) * j / (GRID_SIGMA - 1)
            error = _error_at(k, w, weight, m, ls, ata, atw, kkt, rhs, solution, x, last_active)
            if error < best:
                best, best_m, best_ls = error, m, ls
    # Nelder-Mead on (m, log sigma) from the best grid point; vertices kept sorted by error, best first.
    sm, sl, values = np.empty(3), np.empty(3), np.empty(3)
    sm[0], sl[0] = best_m, best_ls
    sm[1], sl[1] = best_m + (k_high - k_low) / (GRID_M - 1) + 1e-4, best_ls
    sm[2], sl[2] = best_m, best_ls + (log_high - log_low) / (GRID_SIGMA - 1)
    for v in range(3):
        values[v] = _error_at(k, w, weight, sm[v], sl[v], ata, atw, kkt, rhs, solution, x, last_active)
    for _ in range(NELDER_MEAD_STEPS):
        _sort_vertices(sm, sl, values)
        centre_m, centre_l = 0.5 * (sm[0] + sm[1]), 0.5 * (sl[0] + sl[1])
        reflected_m, reflected_l = 2.0 * centre_m - sm[2], 2.0 * centre_l - sl[2]
        value_r = _error_at(k, w, weight, reflected_m, reflected_l, ata, atw, kkt, rhs, solution, x, last_active)
        if value_r < values[0]:
            expanded_m, expanded_l = 3.0 * centre_m - 2.0 * sm[2], 3.0 * centre_l - 2.0 * sl[2]
            value_e = _error_at(k, w, weight, expanded_m, expanded_l, ata, atw, kkt, rhs, solution, x, last_active)
            if value_e < value_r:
                sm[2], sl[2], values[2] = expanded_m, expanded_l, value_e
            else:
                sm[2], sl[2], values[2] = reflected_m, reflected_l, value_r
        elif value_r < values[1]:
            sm[2], sl[2], values[2] = reflected_m, reflected_l, value_r
        else:
            contracted_m, contracted_l = 0.5 * (centre_m + sm[2]), 0.5 * (centre_l + sl[2])
            value_c = _error_at(k, w, weight, contracted_m, contracted_l, ata, atw, kkt, rhs, solution, x, last_active)
            if value_c < values[2]:
                sm[2], sl[2], values[2] = contracted_m, contracted_l, value_c
            else:
                for v in range(1, 3):  # shrink towards the best vertex
                    sm[v], sl[v] = 0.5 * (sm[0] + sm[v]), 0.5 * (sl[0] + sl[v])
                    values[v] = _error_at(k, w, weight, sm[v], sl[v], ata, atw, kkt, rhs, solution, x, last_active)
        if values.max() - values.min() <= 1e-09 * values.min() + 1e-30:
            break
    top = np.argmin(values)
    m, sigma = sm[top], math.exp(sl[top])
    error = _error_at(k, w, weight, m, sl[top], ata, atw, kkt, rhs, solution, x, last_active)
    a, d, c = x[0], x[1], x[2]
    params = np.array([a, c / sigma, d / c if c > 0.0 else 0.0, m, sigma])
    return params, math.sqrt(max(error, 0.0) / weight.sum())


@nb.njit(cache=True, parallel=True)
def _fit_groups(starts, stops, k, w, weight, min_quotes):
    n = starts.size
    params = np.full((n, N_PARAMS), math.nan)
    rmse = np.full(n, math.nan)
    for g in nb.prange(n):
        lo, hi = starts[g], stops[g]
        if hi - lo < min_quotes:
            continue
        params[g], rmse[g] = _fit_one(k[lo:hi], w[lo:hi], weight[lo:hi])
    return params, rmse


def fit_svi(
    group_sizes: np.ndarray,
    log_moneyness: np.ndarray,
    total_variance: np.ndarray,
    min_quotes: int,
    weights: np.ndarray | None = None,
):
    """Raw SVI per group of consecutive rows (sizes in order): params (groups, 5) in SVI_PARAMS order, and the
    root-mean-square error in implied vol times sqrt(T) (divide by sqrt(T) for vol); NaN for groups with fewer
    than `min_quotes` rows."""
    stops = np.cumsum(np.asarray(group_sizes, dtype=np.int64))
    starts = stops - np.asarray(group_sizes, dtype=np.int64)
    w = np.asarray(total_variance, float)
    if weights is None:
        weights = 1.0 / (4.0 * np.maximum(w, 1e-12))
    return _fit_groups(starts, stops, np.asarray(log_moneyness, float), w, np.asarray(weights, float),
                       int(min_quotes))  # fmt: skip


def svi_total_variance(params: np.ndarray, log_moneyness: np.ndarray) -> np.ndarray:
    """w(k) of raw SVI, with params broadcast against k (columns a, b, rho, m, sigma)."""
    a, b, rho, m, sigma = (params[..., i] for i in range(N_PARAMS))
    shifted = log_moneyness - m
    return a + b * (rho * shifted + np.sqrt(shifted * shifted + sigma * sigma))
