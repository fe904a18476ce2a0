"""Output bytes do not depend on the machine: thread counts, SIMD kernels, or the cores a model trained on.

What remains machine-dependent is documented in docs/design.md ("Reproducible across machines").
"""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import sys

import joblib
import numpy as np
import pytest

from spyglass.io import write_parquet
from spyglass.models.base import build_estimator, portable

# numpy without its AVX-512 *and* AVX2/FMA kernels: the code paths of an older or different CPU.
OTHER_CPU = "AVX512F AVX512CD AVX512_SKX AVX512_CLX AVX512_CNL AVX512_ICL AVX512_SPR AVX2 FMA3 F16C"


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_options_features_stage_is_byte_identical_across_threads_and_cpu_kernels(
    repo_root, tmp_path, monkeypatch, synthetic_market, small_cfg
):
    """The options_features stage (numba kernels in parallel, polars, numpy exp/log) run here, and in a process
    with three numba threads, numba compiled for a generic CPU and numpy without its AVX2/AVX-512 kernels."""
    from helpers import run_stage_script
    from spyglass.data import snapshot_provenance
    from spyglass.data.store import replace_store

    inputs = tmp_path / "in"
    write_parquet(synthetic_market.prices, inputs / "prices.parquet")
    write_parquet(synthetic_market.vol_indices, inputs / "vol_indices.parquet")
    replace_store(synthetic_market.chains, inputs / "options", snapshot_provenance(small_cfg["data"]))

    def run(name: str, env: dict[str, str] | None) -> dict[str, str]:
        out = tmp_path / name
        overrides = ["data=synthetic", f"paths.prices={inputs}/prices.parquet", f"paths.options_store={inputs}/options",
                     f"paths.vol_indices={inputs}/vol_indices.parquet", f"paths.options_features={out}/options.parquet",
                     f"paths.options_latest={out}/latest", f"paths.vol_index_features={out}/vol_index.parquet",
                     f"paths.metrics_dir={out}/metrics"]  # fmt: skip
        if env is None:
            run_stage_script(repo_root, monkeypatch, "options_features", overrides)
        else:
            clean = {k: v for k, v in os.environ.items() if not k.startswith(("NUMBA_", "NPY_", "OMP_", "OPENBLAS_"))}
            clean["XDG_CACHE_HOME"] = str(tmp_path / "cache")  # numba compiles afresh for the CPU named
            subprocess.run([sys.executable, "stages/options_features.py", *overrides], cwd=repo_root,
                           env=clean | env, check=True, capture_output=True)  # fmt: skip
        return {str(p.relative_to(out)): digest(p) for p in sorted(out.rglob("*.parquet"))}

    default = run("here", None)  # one numba thread (tests/conftest.py)
    assert len(default) == 5
    other_cpu = {"NUMBA_NUM_THREADS": "3", "NPY_DISABLE_CPU_FEATURES": OTHER_CPU, "NUMBA_CPU_NAME": "generic"}
    assert run("other_cpu", other_cpu) == default


@pytest.mark.parametrize("factory", ["xgboost_regressor", "lightgbm_regressor"])
def test_saved_models_are_byte_identical_whatever_threads_trained_them(factory):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(600, 12))
    y = 0.1 * x[:, 0] + rng.normal(size=600)
    x[rng.random(x.shape) < 0.05] = np.nan  # the median imputer is part of the saved pipeline

    def saved(n_jobs: int) -> tuple[bytes, np.ndarray]:
        model = build_estimator(f"spyglass.models.base.{factory}", {"n_estimators": 30}, 7, True, n_jobs).fit(x, y)
        before = model.predict(x)
        buffer = io.BytesIO()
        joblib.dump(portable(model), buffer)
        np.testing.assert_array_equal(model.predict(x), before)  # portable changes bytes, never predictions
        return buffer.getvalue(), before

    one, three = saved(1), saved(3)
    np.testing.assert_array_equal(one[1], three[1])
    assert one[0] == three[0]


BLAS_FITS = """
import spyglass, hashlib, numpy as np
from sklearn.linear_model import ElasticNet, LinearRegression
rng = np.random.default_rng(0)
x = rng.normal(size=(3000, 40)); y = x @ rng.normal(size=40) * 1e-3 + rng.normal(0, 0.01, 3000)
coefs = [LinearRegression(positive=True).fit(x[:, :3], y).coef_, ElasticNet(alpha=1e-5, max_iter=5000).fit(x, y).coef_]
print(hashlib.sha256(b"".join(c.tobytes() for c in coefs)).hexdigest())
"""


def test_blas_backed_fits_match_an_amd_machines_kernels(repo_root):
    """ElasticNet and the stack's LinearRegression run on OpenBLAS, whose kernels differ by CPU; spyglass pins
    the Haswell kernels on x86-64 with AVX2, which are also what OpenBLAS picks on AMD Zen."""
    from spyglass.runtime import x86_with_avx2

    if not x86_with_avx2():
        pytest.skip("OpenBLAS kernels are pinned on x86-64 with AVX2 only")

    def fitted(env: dict[str, str]) -> str:
        clean = {k: v for k, v in os.environ.items() if not k.startswith("OPENBLAS_")}
        done = subprocess.run([sys.executable, "-c", BLAS_FITS], cwd=repo_root, env=clean | env, check=True,
                              capture_output=True, text=True)  # fmt: skip
        return done.stdout.strip()

    assert fitted({}) == fitted({"OPENBLAS_NUM_THREADS": "2", "OPENBLAS_CORETYPE": "Zen"})
