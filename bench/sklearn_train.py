#!/usr/bin/python3
"""scikit-learn peer for `npm run bench:train`; prints one JSON object on stdout.

Run it with Debian's interpreter (/usr/bin/python3), which has scikit-learn and pandas.

  --quality TRAIN_CSV TEST_CSV [--repeat 20]
      Fits median-impute + standardise + lbfgs logistic regression (C=1) on TRAIN_CSV, scores
      TEST_CSV (accuracy, ROC AUC, log loss) and times `pipeline.fit` REPEAT times in-process.
  --scale CSV [--out JSON]
      The whole-process peer of `oncoclear train`: read the CSV with pandas, the same seed-42
      stratified 80/20 split, fit, score the test rows and write the coefficients as JSON.
"""

import argparse
import json
import statistics
import sys
import time

import numpy as np
import pandas as pd
import sklearn
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, brier_score_loss, log_loss, recall_score, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler


def make_model():
    return make_pipeline(
        SimpleImputer(strategy="median"),
        StandardScaler(),
        LogisticRegression(solver="lbfgs", C=1.0, max_iter=1000),
    )


def split_xy(frame, target, positive):
    y = (frame[target] == positive).astype(np.int8).to_numpy()
    x = frame.drop(columns=[target]).to_numpy(dtype=np.float64)
    return x, y


def scores(model, x, y):
    proba = model.predict_proba(x)[:, 1]
    return {
        "rows": int(len(y)),
        "accuracy": float(accuracy_score(y, proba >= 0.5)),
        "rocAuc": float(roc_auc_score(y, proba)),
        "logLoss": float(log_loss(y, proba, labels=[0, 1])),
        "recall": float(recall_score(y, proba >= 0.5)),
        "specificity": float(recall_score(1 - y, proba < 0.5)),
        "brier": float(brier_score_loss(y, proba)),
    }


def versions():
    return {"sklearn": sklearn.__version__, "pandas": pd.__version__, "numpy": np.__version__}


def quality(args):
    x_train, y_train = split_xy(pd.read_csv(args.quality[0]), args.target, args.positive)
    x_test, y_test = split_xy(pd.read_csv(args.quality[1]), args.target, args.positive)
    model = make_model().fit(x_train, y_train)  # also the warm-up for the timed fits
    result = {"versions": versions(), "test": scores(model, x_test, y_test)}
    result["iterations"] = int(model[-1].n_iter_[0])
    runs = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        make_model().fit(x_train, y_train)
        runs.append((time.perf_counter() - start) * 1000)
    result["fitMs"] = {"median": statistics.median(runs), "runs": runs}
    return result


def scale(args):
    t0 = time.perf_counter()
    frame = pd.read_csv(args.scale)
    x, y = split_xy(frame, args.target, args.positive)
    del frame
    t1 = time.perf_counter()
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=0.2, random_state=42, stratify=y
    )
    del x
    t1b = time.perf_counter()
    # The pipeline's steps fitted one by one (what Pipeline.fit does), to time them apart.
    model = make_model()
    x_fit = model[1].fit_transform(model[0].fit_transform(x_train), y_train)
    t1c = time.perf_counter()
    model[2].fit(x_fit, y_train)
    del x_fit
    t2 = time.perf_counter()
    result = {"versions": versions(), "test": scores(model, x_test, y_test)}
    t3 = time.perf_counter()
    lr = model[-1]
    coefficients = {
        "fill": model[0].statistics_.tolist(),
        "mean": model[1].mean_.tolist(),
        "scale": model[1].scale_.tolist(),
        "coefficients": lr.coef_[0].tolist(),
        "intercept": float(lr.intercept_[0]),
        "iterations": int(lr.n_iter_[0]),
    }
    if args.out:
        with open(args.out, "w", encoding="utf-8") as handle:
            json.dump(coefficients, handle)
    result["iterations"] = coefficients["iterations"]
    result["timings"] = {
        "loadMs": (t1 - t0) * 1000,
        "fitMs": (t2 - t1) * 1000,
        "evaluateMs": (t3 - t2) * 1000,
        "splitMs": (t1b - t1) * 1000,
        "preprocessMs": (t1c - t1b) * 1000,
        "modelMs": (t2 - t1c) * 1000,
    }
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--quality", nargs=2, metavar=("TRAIN_CSV", "TEST_CSV"))
    mode.add_argument("--scale", metavar="CSV")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--out", help="where --scale writes the fitted coefficients")
    parser.add_argument("--target", default="diagnosis")
    parser.add_argument("--positive", default="malignant")
    args = parser.parse_args()
    result = quality(args) if args.quality else scale(args)
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
