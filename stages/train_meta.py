"""train_meta: a LinearRegression stack on base OOF predictions, evaluated walk-forward, then refitted on all."""

import joblib
import numpy as np
import pandas as pd
from omegaconf import DictConfig

from spyglass.cli import log, run_stage
from spyglass.io import read_table, write_json, write_parquet, write_with
from spyglass.models.evaluation import signal_metrics
from spyglass.models.stacking import make_meta_learner, walk_forward_meta
from spyglass.schemas import BaseOofSchema, MetaOofSchema, validate


def main(cfg: DictConfig) -> None:
    base = read_table(cfg.paths.base_oof, BaseOofSchema)
    columns = [c for c in base.columns if c.startswith("pred_")]
    x, y = base[columns].to_numpy(), base["target"].to_numpy()

    def make_meta():
        return make_meta_learner(bool(cfg.meta.positive), bool(cfg.meta.fit_intercept))

    prediction, fold_id, folds = walk_forward_meta(
        x, y, make_meta, int(cfg.meta.n_folds), int(cfg.meta.min_train), int(cfg.cv.embargo)
    )
    tested = fold_id >= 0
    meta_oof = pd.DataFrame({"date": base["date"], "fold": fold_id, "target": y, "prediction": prediction})
    meta_oof = validate(meta_oof[tested].reset_index(drop=True), MetaOofSchema, "meta OOF predictions")

    known = np.isfinite(y)
    final = make_meta().fit(x[known], y[known])
    weights = {c.removeprefix("pred_"): round(float(w), 6) for c, w in zip(columns, final.coef_, strict=True)}
    metrics = {
        "stack": signal_metrics(prediction[tested], y[tested]),
        "base_same_rows": {
            c.removeprefix("pred_"): signal_metrics(base[c].to_numpy()[tested], y[tested]) for c in columns
        },
        "weights": weights,
        "intercept": round(float(final.intercept_), 8),
        "folds": len(folds),
    }
    write_parquet(meta_oof, cfg.paths.meta_oof)
    write_with(lambda tmp: joblib.dump({"model": final, "inputs": columns}, tmp), cfg.paths.meta_model)
    write_json(metrics, f"{cfg.paths.metrics_dir}/train_meta.json")
    log.info("train_meta: stack OOF %s, weights %s", metrics["stack"], weights)


if __name__ == "__main__":
    run_stage(main)
