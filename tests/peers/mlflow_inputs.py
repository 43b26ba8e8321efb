"""The dataset inputs MLflow itself reports for every run of each store given: the
expected answers of crates/index/tests/datasets.rs.

Arguments: tracking URIs (a file store's folder, `sqlite:///<db>`). Prints one JSON object:

    {"<uri>": {"<run id>": [{"name", "digest", "context", "source_type", "source"}, ...]}}

`context` is the input's `mlflow.data.context` tag (null without one). Only MLflow's
public client API is used.
"""

import json
import logging
import os
import sys
import warnings

os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"
warnings.filterwarnings("ignore")
logging.disable(logging.WARNING)

from mlflow.entities import ViewType  # noqa: E402
from mlflow.tracking import MlflowClient  # noqa: E402

out = {}
for uri in sys.argv[1:]:
    client = MlflowClient(tracking_uri=uri)
    experiments = [e.experiment_id for e in client.search_experiments(view_type=ViewType.ALL)]
    runs = {}
    for run in client.search_runs(experiments, run_view_type=ViewType.ALL, max_results=50000):
        inputs = []
        for d in run.inputs.dataset_inputs:
            tags = {t.key: t.value for t in d.tags}
            inputs.append({
                "name": d.dataset.name,
                "digest": d.dataset.digest,
                "context": tags.get("mlflow.data.context"),
                "source_type": d.dataset.source_type,
                "source": d.dataset.source,
            })
        runs[run.info.run_id] = inputs
    out[uri] = runs
json.dump(out, sys.stdout)
