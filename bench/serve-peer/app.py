"""FastAPI peer for `npm run bench:serve`: the usual Python way to serve this model.

A scikit-learn pipeline (median SimpleImputer -> StandardScaler -> LogisticRegression) trained on
data/wdbc.csv, behind FastAPI with async handlers (PEER_HANDLERS=sync for plain `def` ones),
served by uvicorn (the bench runs 1 worker, its best configuration on a 2-core machine, and
shows --workers 2 beside it). Same request
and response shapes as OncoClear's /predict and /predict/batch (a `features` array in the model's
feature order or an object keyed by feature name), validated by pydantic. No audit log.

    /usr/bin/python3 bench/serve-peer/app.py --train data/wdbc.csv OUT.joblib   # once, untimed
    PEER_MODEL=OUT.joblib /usr/bin/python3 -m uvicorn app:app --app-dir bench/serve-peer \\
        --host 127.0.0.1 --port 8001 --workers 1 --no-access-log --log-level warning

Debian's python3 with python3-fastapi, python3-uvicorn (uvloop and httptools when installed, as
`uvicorn[standard]` would have them), python3-sklearn and python3-pandas.
"""

import os
import sys
import uuid
from typing import Dict, List, Union

import joblib
import numpy as np

TARGET = "diagnosis"
POSITIVE = "malignant"


def train(data_path: str, out_path: str) -> None:
    import pandas as pd
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    frame = pd.read_csv(data_path)
    features = [c for c in frame.columns if c != TARGET]
    x = frame[features].to_numpy(dtype=float)
    y = (frame[TARGET] == POSITIVE).astype(int).to_numpy()
    pipeline = Pipeline(
        [
            ("impute", SimpleImputer(strategy="median")),
            ("scale", StandardScaler()),
            ("model", LogisticRegression(C=1.0, max_iter=1000)),
        ]
    )
    pipeline.fit(x, y)
    negative = next(v for v in frame[TARGET].unique() if v != POSITIVE)
    joblib.dump(
        {"pipeline": pipeline, "features": features, "classes": [str(negative), POSITIVE]},
        out_path,
    )


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--train":
        train(sys.argv[2], sys.argv[3])
        sys.exit(0)
    sys.exit("usage: app.py --train DATA.csv OUT.joblib (serve it with uvicorn: see the docstring)")

# ------------------------------------------------------------------------------------------------
# The service (imported by uvicorn).

from fastapi import FastAPI, HTTPException  # noqa: E402
from pydantic import BaseModel  # noqa: E402

_bundle = joblib.load(os.environ["PEER_MODEL"])
PIPELINE = _bundle["pipeline"]
FEATURES: List[str] = _bundle["features"]
CLASSES: List[str] = _bundle["classes"]
MODEL_REF = {"name": "sklearn-peer", "version": "1"}

Features = Union[List[float], Dict[str, float]]


class PredictRequest(BaseModel):
    features: Features


class BatchRequest(BaseModel):
    instances: List[Features]


def _row(features: Features) -> List[float]:
    if isinstance(features, dict):
        missing = [name for name in FEATURES if name not in features]
        if missing:
            raise HTTPException(422, f"missing features: {', '.join(missing)}")
        return [features[name] for name in FEATURES]
    if len(features) != len(FEATURES):
        raise HTTPException(422, f"expected {len(FEATURES)} values, got {len(features)}")
    return features


def _prediction(probabilities: np.ndarray) -> dict:
    p = float(probabilities[1])
    return {
        "label": CLASSES[1] if p >= 0.5 else CLASSES[0],
        "probabilities": {CLASSES[0]: 1.0 - p, CLASSES[1]: p},
        "predictionId": str(uuid.uuid4()),
    }


app = FastAPI(title="sklearn peer")


@app.get("/health")
async def health() -> dict:
    return {"status": "ok"}


@app.get("/ready")
async def ready() -> dict:
    return {"status": "ready"}


def _predict(request: PredictRequest) -> dict:
    x = np.asarray([_row(request.features)], dtype=float)
    result = _prediction(PIPELINE.predict_proba(x)[0])
    result["model"] = MODEL_REF
    return result


def _predict_batch(request: BatchRequest) -> dict:
    x = np.asarray([_row(f) for f in request.instances], dtype=float)
    predictions = [_prediction(p) for p in PIPELINE.predict_proba(x)]
    return {"predictions": predictions, "model": MODEL_REF, "count": len(predictions)}


# PEER_HANDLERS=sync: plain `def` handlers, which FastAPI runs in its thread pool (the other
# common way to write them); the default is `async def`, run on the event loop.
if os.environ.get("PEER_HANDLERS") == "sync":

    @app.post("/predict")
    def predict(request: PredictRequest) -> dict:
        return _predict(request)

    @app.post("/predict/batch")
    def predict_batch(request: BatchRequest) -> dict:
        return _predict_batch(request)

else:

    @app.post("/predict")
    async def predict(request: PredictRequest) -> dict:
        return _predict(request)

    @app.post("/predict/batch")
    async def predict_batch(request: BatchRequest) -> dict:
        return _predict_batch(request)
