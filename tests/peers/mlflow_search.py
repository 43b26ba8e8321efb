"""What MLflow's own search returns: the expected answers of the filter conformance test
(crates/index/tests/mlflow_search.rs).

Reads one JSON request on stdin:

    {"write": {"file": "<folder>", "sqlite": "<db path>"},   # optional: stores to create
     "search": {"<name>": "<tracking uri>", ...},
     "filters": ["metrics.acc > 0.5", ...]}

writes the requested stores with MlflowClient (the cases the fixtures lack: NaN metrics,
ties at the highest step, keys with spaces, params absent on some runs, a dataset input),
then runs every filter through MlflowClient.search_runs on every store (all experiments,
ViewType.ALL) and prints one JSON object:

    {"<name>": {"<filter>": {"ids": [<MLflow run ids>]} | {"error": "<message>"}}}

Only MLflow's public client API is used; nothing here decides what a filter means.
"""

import json
import logging
import math
import os
import sys
import warnings
from pathlib import Path

os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"
warnings.filterwarnings("ignore")
logging.disable(logging.WARNING)

from mlflow.entities import Dataset, DatasetInput, InputTag, Metric, Param, RunTag, ViewType  # noqa: E402
from mlflow.exceptions import MlflowException  # noqa: E402
from mlflow.tracking import MlflowClient  # noqa: E402

# Fixed times keep the store deterministic: T0 = 2024-05-06T09:00:00Z.
T0 = 1714986000000


def write_store(uri, artifacts=None):
    """The conformance store: two experiments, runs chosen for the cases the filter
    language must get right, all logged through the client with explicit timestamps.
    `artifacts`: the artifact folder (a file URI) for stores that have none of their own."""
    client = MlflowClient(tracking_uri=uri)
    where = (lambda name: f"{artifacts}/{name}") if artifacts else (lambda name: None)
    exp = client.create_experiment("conformance", artifact_location=where("1"))
    other = client.create_experiment("other experiment", artifact_location=where("2"))

    def run(name, experiment=exp, start=T0):
        return client.create_run(experiment, start_time=start, run_name=name).info.run_id

    def metrics(run_id, points):
        client.log_batch(run_id, metrics=[Metric(k, v, ts, step) for (k, v, ts, step) in points])

    # alpha: every key present; ties at the highest step of `loss` (two timestamps) and
    # of `acc` (one timestamp, two values); keys with spaces.
    a = run("alpha")
    client.log_batch(
        a,
        params=[Param("lr", "0.1"), Param("optimizer", "adam"), Param("my key", "v1"), Param("batch", "32"), Param("wd", "1e-3")],
        tags=[RunTag("team", "vision"), RunTag("tag with space", "x"), RunTag("phase", "Train")],
    )
    metrics(a, [
        ("loss", 1.5, T0 + 1000, 0),
        ("loss", 0.3, T0 + 9000, 5),   # the latest: highest step, highest timestamp
        ("loss", 0.9, T0 + 5000, 5),   # logged last at step 5, but earlier
        ("acc", 0.2, T0 + 1000, 0),
        ("acc", 0.7, T0 + 3000, 3),   # same step and time: the larger value wins
        ("acc", 0.4, T0 + 3000, 3),
        ("nan_m", float("nan"), T0 + 1000, 0),
        ("val acc", 0.8, T0 + 1000, 0),
        ("inf_m", math.inf, T0 + 1000, 0),
    ])
    client.set_terminated(a, "FINISHED", end_time=T0 + 60_000)

    # beta: some params absent, a dataset input, NaN before a number.
    b = run("beta", start=T0 + 3_600_000)
    client.log_batch(b, params=[Param("lr", "0.01"), Param("batch", "64")], tags=[RunTag("team", "nlp"), RunTag("phase", "train")])
    metrics(b, [
        ("loss", 0.8, T0 + 3_601_000, 0),
        ("loss", 0.5, T0 + 3_602_000, 1),
        ("acc", 0.9, T0 + 3_602_000, 1),
        ("nan_m", float("nan"), T0 + 3_601_000, 0),
        ("nan_m", 1.0, T0 + 3_602_000, 1),
        ("inf_m", -math.inf, T0 + 3_601_000, 0),
    ])
    ds = Dataset(name="train-ds", digest="abc123", source_type="local", source="/data/train.csv")
    client.log_inputs(b, datasets=[DatasetInput(dataset=ds, tags=[InputTag("mlflow.data.context", "training")])])
    client.set_terminated(b, "FAILED", end_time=T0 + 3_700_000)

    # gamma: no params, no team tag, NaN at the highest step after a number.
    g = run("gamma", start=T0 + 7_200_000)
    client.log_batch(g, tags=[RunTag("phase", "")])
    metrics(g, [
        ("loss", 0.1, T0 + 7_201_000, 0),
        ("nan_m", 0.0, T0 + 7_201_000, 0),
        ("nan_m", float("nan"), T0 + 7_202_000, 1),
    ])
    ds2 = Dataset(name="eval-ds", digest="def456", source_type="local", source="/data/eval.csv")
    client.log_inputs(g, datasets=[DatasetInput(dataset=ds2, tags=[InputTag("mlflow.data.context", "eval")]),
                                   DatasetInput(dataset=ds, tags=[InputTag("mlflow.data.context", "training")])])
    client.set_terminated(g, "KILLED", end_time=T0 + 7_300_000)

    # A running run with spaces in its name, in the other experiment.
    r = run("Run with spaces", experiment=other, start=T0 + 10_800_000)
    client.log_batch(r, params=[Param("lr", "0.001"), Param("my key", "v2")], metrics=[Metric("acc", 0.5, T0 + 10_801_000, 0)])

    # A deleted run.
    d = run("deleted-run", start=T0 + 14_400_000)
    client.log_batch(d, params=[Param("lr", "0.1")], metrics=[Metric("acc", 0.95, T0 + 14_401_000, 0)])
    client.set_terminated(d, "FINISHED", end_time=T0 + 14_500_000)
    client.delete_run(d)


def search(uri, filters):
    client = MlflowClient(tracking_uri=uri)
    experiments = [e.experiment_id for e in client.search_experiments(view_type=ViewType.ALL)]
    answers = {}
    for f in filters:
        try:
            ids, token = [], None
            while True:
                page = client.search_runs(experiments, filter_string=f, run_view_type=ViewType.ALL, max_results=1000, page_token=token)
                ids.extend(r.info.run_id for r in page)
                token = page.token
                if not token:
                    break
            answers[f] = {"ids": sorted(ids)}
        except MlflowException as e:
            answers[f] = {"error": e.message}
        except Exception as e:  # MLflow failing another way is still "not accepted"
            answers[f] = {"error": f"{type(e).__name__}: {e}"}
    return answers


def main():
    request = json.load(sys.stdin)
    write = request.get("write", {})
    if "file" in write:
        write_store("file:" + write["file"])
    if "sqlite" in write:
        db = write["sqlite"]
        write_store("sqlite:///" + db, artifacts=Path(db).parent.joinpath("artifacts").as_uri())
    out = {name: search(uri, request["filters"]) for name, uri in request["search"].items()}
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
