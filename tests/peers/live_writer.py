"""A training job as the peer tools write it, and what their own readers then report.

    live_writer.py mlflow-write DB SECONDS      MlflowClient on sqlite:///DB logs metrics of
                                                three runs in a loop for SECONDS
    live_writer.py mlflow-counts DB             {run name: {key: points}} from
                                                MlflowClient.get_metric_history
    live_writer.py trackio-write DIR SECONDS    trackio (TRACKIO_DIR=DIR) logs three runs
    live_writer.py trackio-counts DIR           {run name: {key: points}} from trackio's reader

The Runlens tests run the writer while `runlens scan` loops over the same store, then
compare Runlens' point counts with the counts printed here.
"""

import json
import os
import sys
import time

RUNS = ["alpha", "beta", "gamma"]
KEYS = ["loss", "acc", "lr"]


def mlflow_write(db, seconds):
    from mlflow.tracking import MlflowClient
    from mlflow.entities import Metric

    client = MlflowClient(tracking_uri=f"sqlite:///{db}")
    exp = client.create_experiment("live")
    runs = [client.create_run(exp, run_name=name).info.run_id for name in RUNS]
    step = 0
    end = time.time() + seconds
    while time.time() < end:
        now = int(time.time() * 1000)
        for i, run in enumerate(runs):
            # One batch per run and step (a row per key), and a single metric now and then,
            # as training loops log them.
            client.log_batch(run, metrics=[Metric(k, (step + i) * 0.01 + j, now, step) for j, k in enumerate(KEYS)])
            if step % 7 == 0:
                client.log_metric(run, "epoch_time", step * 0.5, timestamp=now, step=step)
        step += 1
    for run in runs:
        client.set_terminated(run)


def mlflow_counts(db):
    from mlflow.tracking import MlflowClient
    from mlflow.entities import ViewType

    client = MlflowClient(tracking_uri=f"sqlite:///{db}")
    out = {}
    for exp in client.search_experiments(view_type=ViewType.ALL):
        for run in client.search_runs([exp.experiment_id], run_view_type=ViewType.ALL):
            out[run.info.run_name] = {
                key: len(client.get_metric_history(run.info.run_id, key)) for key in run.data.metrics
            }
    return out


def trackio_write(folder, seconds):
    import trackio

    end = time.time() + seconds
    step = 0
    runs = []
    for name in RUNS:
        runs.append(trackio.init(project="live", name=name))
    while time.time() < end:
        for i, run in enumerate(runs):
            run.log({k: (step + i) * 0.01 + j for j, k in enumerate(KEYS)}, step=step)
        step += 1
        time.sleep(0.01)
    for run in runs:
        run.finish()


def trackio_counts(folder):
    from trackio.sqlite_storage import SQLiteStorage

    out = {}
    for name in SQLiteStorage.get_runs("live"):
        counts = {}
        for row in SQLiteStorage.get_logs("live", name):
            for key, value in row.items():
                if key not in ("step", "timestamp") and isinstance(value, (int, float)) and not isinstance(value, bool):
                    counts[key] = counts.get(key, 0) + 1
        out[name] = counts
    return out


def main():
    what, where = sys.argv[1], sys.argv[2]
    if what.startswith("trackio"):
        os.environ["TRACKIO_DIR"] = where
    if what == "mlflow-write":
        mlflow_write(where, float(sys.argv[3]))
    elif what == "mlflow-counts":
        print(json.dumps(mlflow_counts(where)))
    elif what == "trackio-write":
        trackio_write(where, float(sys.argv[3]))
    elif what == "trackio-counts":
        print(json.dumps(trackio_counts(where)))
    else:
        sys.exit(f"unknown command {what}")


if __name__ == "__main__":
    main()
