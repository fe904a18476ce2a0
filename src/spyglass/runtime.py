"""Process settings that make a stage's output bytes independent of the machine it runs on.

`pin_numerics` runs when `spyglass` is imported, before numpy is (stage scripts import spyglass first), and
only fills variables the user has not set:

- numpy's float64 exp/log/power have AVX-512-only kernels whose last bits differ from the scalar path other
  CPUs take, so features computed on an AVX-512 machine would differ from everyone else's; they are disabled.
- OpenBLAS splits large dot products between threads, and the split changes the sum's rounding: one thread.
  It also picks kernels by CPU (AVX-512 machines get other kernels, and other roundings, than AVX2 ones): on
  x86-64 with AVX2 and FMA, the Haswell kernels everywhere.
- numba's compiled-kernel cache goes to the user's cache directory, never beside the sources DVC hashes.
"""

from __future__ import annotations

import os
import platform
import sys
from pathlib import Path

AVX512_FEATURES = (
    "AVX512F AVX512CD AVX512VL AVX512BW AVX512DQ AVX512_SKX AVX512_CLX AVX512_CNL AVX512_ICL AVX512_SPR "
    "AVX512_KNL AVX512_KNM AVX512IFMA AVX512VBMI AVX512VBMI2 AVX512BITALG AVX512VNNI AVX512VPOPCNTDQ AVX512FP16"
)


def cache_dir() -> Path:
    """spyglass's per-user cache directory ($XDG_CACHE_HOME/spyglass, else ~/.cache/spyglass)."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "spyglass"


def x86_with_avx2() -> bool:
    """True on an x86-64 Linux CPU with AVX2 and FMA (what OpenBLAS's Haswell kernels need)."""
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return False
    try:
        flags = set(Path("/proc/cpuinfo").read_text().split())
    except OSError:
        return False
    return {"avx2", "fma"} <= flags


def reproducible_environment() -> dict[str, str]:
    """The variables `pin_numerics` sets (each only where unset)."""
    env = {
        "NPY_DISABLE_CPU_FEATURES": AVX512_FEATURES,
        "OPENBLAS_NUM_THREADS": "1",
        "NUMBA_CACHE_DIR": str(cache_dir() / "numba"),
    }
    if x86_with_avx2():
        env["OPENBLAS_CORETYPE"] = "Haswell"
    return env


def pin_numerics() -> None:
    """Set the reproducible environment for this process (a no-op for variables already set)."""
    for name, value in reproducible_environment().items():
        os.environ.setdefault(name, value)


def numerics_pinned() -> bool:
    """True when numpy was loaded after `pin_numerics` (or not at all), so its SIMD dispatch is the pinned one."""
    if "numpy" not in sys.modules:
        return True
    from numpy._core._multiarray_umath import __cpu_features__

    disabled = set(os.environ.get("NPY_DISABLE_CPU_FEATURES", "").split())
    return not any(__cpu_features__.get(name) for name in disabled & {"AVX512F", "AVX512_SKX"})
