//! The CLI's JSON, values and all, as outside scripts rely on it: a snapshot of each
//! shape on a fixture store. Machine-specific parts (the store's path, run ids made from
//! it, scan times, files' modification times) are replaced by placeholders; everything else is compared exactly, so
//! a changed field, value or order fails here first.

mod common;

use common::{copy_tree, fixture, runlens, stdout};
use expect_test::{Expect, expect};
use serde_json::Value;

struct Store {
    _dir: tempfile::TempDir,
    db: std::path::PathBuf,
    root: String,
    /// Runlens id → a stable placeholder naming the run's native id.
    ids: Vec<(String, String)>,
}

fn store() -> Store {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("store");
    copy_tree(&fixture("mlflow-sqlite"), &root);
    let db = dir.path().join("i.sqlite");
    assert!(runlens(&db, &["add", root.to_str().unwrap()]).status.success());
    let runs: Value = serde_json::from_str(&stdout(&runlens(&db, &["runs", "--json", "--all"]))).unwrap();
    let ids = runs
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["id"].as_str().unwrap().to_string(), format!("<id of {}>", r["native_id"].as_str().unwrap())))
        .collect();
    Store { _dir: dir, db, root: root.to_string_lossy().into_owned(), ids }
}

impl Store {
    fn check(&self, args: &[&str], expect: Expect) {
        self.check_at(args, "", expect);
    }

    /// Like [`Store::check`], for the part of the output at a JSON pointer (`/provenance`).
    fn check_at(&self, args: &[&str], pointer: &str, expect: Expect) {
        let out = runlens(&self.db, args);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let mut text = stdout(&out).replace(&self.root, "<store>");
        for (id, placeholder) in &self.ids {
            text = text.replace(id, placeholder);
        }
        let mut v: Value = serde_json::from_str(&text).unwrap();
        if let Some(stores) = v.as_array_mut() {
            for s in stores.iter_mut().filter(|s| s.get("scanned").is_some()) {
                s["scanned"] = Value::from("<time>");
            }
        }
        mtimes(&mut v);
        expect.assert_eq(&serde_json::to_string_pretty(v.pointer(pointer).unwrap()).unwrap());
    }
}

/// Files' modification times (those of the copy the test made) as a placeholder.
fn mtimes(v: &mut Value) {
    match v {
        Value::Object(map) => {
            for (key, value) in map.iter_mut() {
                if key == "modified_ms" && value.is_number() {
                    *value = Value::from("<mtime>");
                } else {
                    mtimes(value);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(mtimes),
        _ => {}
    }
}

#[test]
fn runs_json() {
    let s = store();
    s.check(
        &["runs", "--json", "--filter", "name = 'trial-0 dropout=0.1' or status = 'FAILED'"],
        expect![[r#"
            [
              {
                "artifact_bytes": 520,
                "commit": "3083e5309fb6b8b533dd45c668504fbd6fd3f396",
                "deleted": false,
                "end": 1715014871000,
                "experiment": "text-classification",
                "id": "<id of 3cdc3609b3624b3ea94f6421d5d427e9>",
                "labels": [],
                "metrics": {
                  "train/accuracy": {
                    "count": 45,
                    "first": 0.12237511529033006,
                    "first_step": 0,
                    "last": 0.866832383710739,
                    "last_step": 44,
                    "latest": 0.866832383710739,
                    "max": 0.8964852149982573,
                    "max_step": 44,
                    "min": 0.12237511529033006
                  },
                  "train/loss": {
                    "count": 45,
                    "first": 2.2679883270582093,
                    "first_step": 0,
                    "last": 0.13326548419579048,
                    "last_step": 44,
                    "latest": 0.13326548419579048,
                    "max": 2.2679883270582093,
                    "max_step": 44,
                    "min": 0.13326548419579048
                  },
                  "val/loss": {
                    "count": 4,
                    "first": 0.981628666128771,
                    "first_step": 9,
                    "last": 0.31341729013314745,
                    "last_step": 39,
                    "latest": 0.31341729013314745,
                    "max": 0.981628666128771,
                    "max_step": 39,
                    "min": 0.31341729013314745
                  }
                },
                "name": "oom-crash",
                "native_id": "3cdc3609b3624b3ea94f6421d5d427e9",
                "note": "",
                "params": {
                  "batch_size": "64",
                  "dropout": "0.172",
                  "epochs": "36",
                  "learning_rate": "0.0003",
                  "model": "{'arch': 'resnet50', 'depth': 18, 'width_mult': 0.68, 'pretrained': True}",
                  "momentum": "0.945",
                  "optimizer": "sgd",
                  "scheduler": "step",
                  "seed": "7867",
                  "use_amp": "False",
                  "weight_decay": "1.064e-05"
                },
                "parent": null,
                "source": "mlflow",
                "starred": false,
                "start": 1715014800000,
                "status": "failed",
                "store": "<store>/mlflow.db",
                "tags": {
                  "failure_reason": "CUDA out of memory (simulated)",
                  "mlflow.runName": "oom-crash",
                  "mlflow.source.git.branch": "main",
                  "mlflow.source.git.commit": "3083e5309fb6b8b533dd45c668504fbd6fd3f396",
                  "mlflow.source.git.repoURL": "https://github.com/example-org/vision-experiments.git",
                  "mlflow.source.name": "/home/researcher/projects/vision-experiments/generate.py",
                  "mlflow.source.type": "LOCAL",
                  "mlflow.user": "alice"
                },
                "user": "alice"
              },
              {
                "artifact_bytes": 530,
                "commit": "3083e5309fb6b8b533dd45c668504fbd6fd3f396",
                "deleted": false,
                "end": 1715000523500,
                "experiment": "text-classification",
                "id": "<id of 53c87e98d12147f28057b7d5cc0dde7e>",
                "labels": [],
                "metrics": {
                  "train/accuracy": {
                    "count": 80,
                    "first": 0.1208805458167077,
                    "first_step": 0,
                    "last": 0.8881201588529362,
                    "last_step": 79,
                    "latest": 0.8881201588529362,
                    "max": 0.9219004405924949,
                    "max_step": 79,
                    "min": 0.1208805458167077
                  },
                  "train/loss": {
                    "count": 80,
                    "first": 2.0195060701847565,
                    "first_step": 0,
                    "last": 0.3436155024459894,
                    "last_step": 79,
                    "latest": 0.3436155024459894,
                    "max": 2.0195060701847565,
                    "max_step": 79,
                    "min": 0.30264311189227366
                  },
                  "val/accuracy": {
                    "count": 8,
                    "first": 0.5060061008436371,
                    "first_step": 9,
                    "last": 0.8920917077868594,
                    "last_step": 79,
                    "latest": 0.8920917077868594,
                    "max": 0.9319481042228854,
                    "max_step": 79,
                    "min": 0.5060061008436371
                  },
                  "val/loss": {
                    "count": 8,
                    "first": 1.274128632988308,
                    "first_step": 9,
                    "last": 0.35390207568278753,
                    "last_step": 79,
                    "latest": 0.35390207568278753,
                    "max": 1.274128632988308,
                    "max_step": 79,
                    "min": 0.35390207568278753
                  }
                },
                "name": "trial-0 dropout=0.1",
                "native_id": "53c87e98d12147f28057b7d5cc0dde7e",
                "note": "",
                "params": {
                  "batch_size": "64",
                  "epochs": "6",
                  "learning_rate": "0.001",
                  "model": "{'arch': 'mlp', 'depth': 30, 'width_mult': 1.58, 'pretrained': True}",
                  "optimizer": "adam",
                  "use_amp": "True",
                  "weight_decay": "2.38e-06"
                },
                "parent": "<id of 9feac3ec9cb546c4a01281a5d84bf168>",
                "source": "mlflow",
                "starred": false,
                "start": 1715000400000,
                "status": "finished",
                "store": "<store>/mlflow.db",
                "tags": {
                  "mlflow.parentRunId": "9feac3ec9cb546c4a01281a5d84bf168",
                  "mlflow.runName": "trial-0 dropout=0.1",
                  "mlflow.source.git.branch": "main",
                  "mlflow.source.git.commit": "3083e5309fb6b8b533dd45c668504fbd6fd3f396",
                  "mlflow.source.git.repoURL": "https://github.com/example-org/vision-experiments.git",
                  "mlflow.source.name": "/home/researcher/projects/vision-experiments/generate.py",
                  "mlflow.source.type": "LOCAL",
                  "mlflow.user": "alice"
                },
                "user": "alice"
              }
            ]"#]],
    );
}

#[test]
fn show_json() {
    let s = store();
    let runs: Value = serde_json::from_str(&stdout(&runlens(&s.db, &["runs", "--json", "--filter", "name = 'hp-search'"]))).unwrap();
    let id = runs[0]["id"].as_str().unwrap().to_string();
    s.check(
        &["show", &id, "--json"],
        expect![[r#"
            {
              "artifact_bytes": 183,
              "artifact_dir": "<store>/artifacts/cffba13487/9feac3ec9cb546c4a01281a5d84bf168/artifacts",
              "artifacts": [
                {
                  "attached": null,
                  "embedded": false,
                  "kind": "json",
                  "modified_ms": "<mtime>",
                  "origin": null,
                  "path": "sweep_summary.json",
                  "size": 183
                }
              ],
              "attached_folders": [],
              "commit": "3083e5309fb6b8b533dd45c668504fbd6fd3f396",
              "datasets": [],
              "deleted": false,
              "end": 1714993206500,
              "experiment": "text-classification",
              "id": "<id of 9feac3ec9cb546c4a01281a5d84bf168>",
              "labels": [],
              "metrics": {
                "best_val_f1": {
                  "count": 2,
                  "first": 0.09180892802472829,
                  "first_step": 0,
                  "last": 0.861824369109545,
                  "last_step": 1,
                  "latest": 0.861824369109545,
                  "max": 0.861824369109545,
                  "max_step": 1,
                  "min": 0.09180892802472829
                }
              },
              "name": "hp-search",
              "native_id": "9feac3ec9cb546c4a01281a5d84bf168",
              "note": "",
              "params": {
                "batch_size": "128",
                "epochs": "55",
                "learning_rate": "0.0003",
                "optimizer": "adamw",
                "use_amp": "False"
              },
              "parent": null,
              "provenance": {
                "args": null,
                "command": "python /home/researcher/projects/vision-experiments/generate.py",
                "environment_files": [],
                "git": {
                  "branch": "main",
                  "commit": "3083e5309fb6b8b533dd45c668504fbd6fd3f396",
                  "dirty": null,
                  "remote": "https://github.com/example-org/vision-experiments.git"
                },
                "host": null,
                "interpreter": null,
                "os": null,
                "packages": [],
                "program": "/home/researcher/projects/vision-experiments/generate.py",
                "python": null,
                "reproduce": {
                  "command": "git checkout 3083e5309fb6b8b533dd45c668504fbd6fd3f396 && python /home/researcher/projects/vision-experiments/generate.py",
                  "missing": [
                    "arguments"
                  ]
                },
                "source_files": [],
                "workdir": null
              },
              "source": "mlflow",
              "starred": false,
              "start": 1714993200000,
              "status": "finished",
              "store": "<store>/mlflow.db",
              "tags": {
                "mlflow.runName": "hp-search",
                "mlflow.source.git.branch": "main",
                "mlflow.source.git.commit": "3083e5309fb6b8b533dd45c668504fbd6fd3f396",
                "mlflow.source.git.repoURL": "https://github.com/example-org/vision-experiments.git",
                "mlflow.source.name": "/home/researcher/projects/vision-experiments/generate.py",
                "mlflow.source.type": "LOCAL",
                "mlflow.user": "bob"
              },
              "user": "bob"
            }"#]],
    );
}

#[test]
fn show_json_provenance_of_a_run_that_logged_a_model() {
    let s = store();
    let runs: Value = serde_json::from_str(&stdout(&runlens(&s.db, &["runs", "--json", "--filter", "name = 'distilbert-baseline'"]))).unwrap();
    let id = runs[0]["id"].as_str().unwrap().to_string();
    s.check_at(
        &["show", &id, "--json"],
        "/provenance",
        expect![[r#"
        {
          "args": null,
          "command": "python /home/researcher/projects/vision-experiments/generate.py",
          "environment_files": [
            "<store>/artifacts/cffba13487/models/m-335fc6ba524249e9a3b02bb2ee82043e/artifacts/requirements.txt",
            "<store>/artifacts/cffba13487/models/m-335fc6ba524249e9a3b02bb2ee82043e/artifacts/conda.yaml",
            "<store>/artifacts/cffba13487/models/m-335fc6ba524249e9a3b02bb2ee82043e/artifacts/python_env.yaml"
          ],
          "git": {
            "branch": "main",
            "commit": "3083e5309fb6b8b533dd45c668504fbd6fd3f396",
            "dirty": null,
            "remote": "https://github.com/example-org/vision-experiments.git"
          },
          "host": null,
          "interpreter": null,
          "os": null,
          "packages": [
            "mlflow==3.17.2",
            "scikit-learn"
          ],
          "program": "/home/researcher/projects/vision-experiments/generate.py",
          "python": "3.11.7",
          "reproduce": {
            "command": "git checkout 3083e5309fb6b8b533dd45c668504fbd6fd3f396 && python /home/researcher/projects/vision-experiments/generate.py",
            "missing": [
              "arguments"
            ]
          },
          "source_files": [],
          "workdir": null
        }"#]],
    );
}

#[test]
fn series_json() {
    let s = store();
    let runs: Value = serde_json::from_str(&stdout(&runlens(&s.db, &["runs", "--json", "--filter", "name = 'trial-0 dropout=0.1'"]))).unwrap();
    let id = runs[0]["id"].as_str().unwrap().to_string();
    s.check(
        &["series", &id, "val/loss", "--json"],
        expect![[r#"
        [
          [
            9,
            1715000413500,
            1.274128632988308
          ],
          [
            19,
            1715000428500,
            0.9593296782620536
          ],
          [
            29,
            1715000443500,
            0.740126525757122
          ],
          [
            39,
            1715000458500,
            0.5978304540938271
          ],
          [
            49,
            1715000473500,
            0.5159907384290299
          ],
          [
            59,
            1715000488500,
            0.45146317701589367
          ],
          [
            69,
            1715000503500,
            0.3883772954638641
          ],
          [
            79,
            1715000518500,
            0.35390207568278753
          ]
        ]"#]],
    );
    s.check(
        &["series", &id, "train/loss", "--json", "--max-points", "6", "--x", "relative"],
        expect![[r#"
        {
          "in_range": 80,
          "origin_ms": 1715000400000,
          "points": [
            [
              0,
              1715000400000,
              2.0195060701847565
            ],
            [
              39,
              1715000458500,
              0.42197429896889305
            ],
            [
              40,
              1715000460000,
              0.49109168631538835
            ],
            [
              73,
              1715000509500,
              0.30264311189227366
            ],
            [
              79,
              1715000518500,
              0.3436155024459894
            ]
          ],
          "reduced": true,
          "shown": 5,
          "stored": 80,
          "x": "relative"
        }"#]],
    );
}

#[test]
fn stores_json() {
    let s = store();
    s.check(
        &["stores", "--json"],
        expect![[r#"
        [
          {
            "error": null,
            "error_kind": null,
            "id": 1,
            "reader": "mlflow-sqlite",
            "root": "<store>/mlflow.db",
            "runs": 10,
            "scanned": "<time>",
            "source": "mlflow",
            "warnings": []
          }
        ]"#]],
    );
}

#[test]
fn compare_json() {
    let s = store();
    let filter = "name ~ 'trial-' or name = 'oom-crash'";
    s.check(
        &["compare", "--filter", filter, "--only-diff", "--metric", "val/loss", "--json"],
        expect![[r#"
            {
              "datasets": [],
              "importance": {
                "aggregate": "latest",
                "metric": "val/loss",
                "params": [
                  {
                    "key": "weight_decay",
                    "method": "spearman",
                    "rho": -1.0,
                    "runs": 3,
                    "strength": 1.0
                  },
                  {
                    "key": "batch_size",
                    "method": "spearman",
                    "rho": 0.8660254037844387,
                    "runs": 3,
                    "strength": 0.8660254037844387
                  },
                  {
                    "epsilon_squared": 0.75,
                    "groups": 2,
                    "key": "use_amp",
                    "method": "kruskal_wallis",
                    "runs": 3,
                    "strength": 0.75
                  },
                  {
                    "key": "epochs",
                    "method": "spearman",
                    "rho": -0.5,
                    "runs": 3,
                    "strength": 0.5
                  },
                  {
                    "key": "learning_rate",
                    "method": "spearman",
                    "rho": -0.5,
                    "runs": 3,
                    "strength": 0.5
                  }
                ]
              },
              "metrics": [
                {
                  "best": {
                    "first": [
                      0
                    ],
                    "last": [
                      2
                    ],
                    "latest": [
                      2
                    ],
                    "max": [
                      2
                    ],
                    "min": [
                      0
                    ]
                  },
                  "differs": true,
                  "direction": "higher",
                  "direction_chosen": false,
                  "key": "train/accuracy",
                  "values": [
                    {
                      "count": 45,
                      "first": 0.12237511529033006,
                      "first_step": 0,
                      "last": 0.866832383710739,
                      "last_step": 44,
                      "latest": 0.866832383710739,
                      "max": 0.8964852149982573,
                      "max_step": 44,
                      "min": 0.12237511529033006
                    },
                    {
                      "count": 80,
                      "first": 0.0837939211521241,
                      "first_step": 0,
                      "last": 0.8676483234458695,
                      "last_step": 79,
                      "latest": 0.8676483234458695,
                      "max": 0.8833098447971989,
                      "max_step": 79,
                      "min": 0.0837939211521241
                    },
                    {
                      "count": 80,
                      "first": 0.1208805458167077,
                      "first_step": 0,
                      "last": 0.8881201588529362,
                      "last_step": 79,
                      "latest": 0.8881201588529362,
                      "max": 0.9219004405924949,
                      "max_step": 79,
                      "min": 0.1208805458167077
                    }
                  ]
                },
                {
                  "best": {
                    "first": [
                      2
                    ],
                    "last": [
                      0
                    ],
                    "latest": [
                      0
                    ],
                    "max": [
                      2
                    ],
                    "min": [
                      0
                    ]
                  },
                  "differs": true,
                  "direction": "lower",
                  "direction_chosen": false,
                  "key": "train/loss",
                  "values": [
                    {
                      "count": 45,
                      "first": 2.2679883270582093,
                      "first_step": 0,
                      "last": 0.13326548419579048,
                      "last_step": 44,
                      "latest": 0.13326548419579048,
                      "max": 2.2679883270582093,
                      "max_step": 44,
                      "min": 0.13326548419579048
                    },
                    {
                      "count": 80,
                      "first": 2.495535385659197,
                      "first_step": 0,
                      "last": 0.14383026954405262,
                      "last_step": 79,
                      "latest": 0.14383026954405262,
                      "max": 2.495535385659197,
                      "max_step": 79,
                      "min": 0.1435333401278142
                    },
                    {
                      "count": 80,
                      "first": 2.0195060701847565,
                      "first_step": 0,
                      "last": 0.3436155024459894,
                      "last_step": 79,
                      "latest": 0.3436155024459894,
                      "max": 2.0195060701847565,
                      "max_step": 79,
                      "min": 0.30264311189227366
                    }
                  ]
                },
                {
                  "best": {
                    "first": [
                      2
                    ],
                    "last": [
                      2
                    ],
                    "latest": [
                      2
                    ],
                    "max": [
                      2
                    ],
                    "min": [
                      2
                    ]
                  },
                  "differs": true,
                  "direction": "higher",
                  "direction_chosen": false,
                  "key": "val/accuracy",
                  "values": [
                    null,
                    {
                      "count": 8,
                      "first": 0.3483080297186247,
                      "first_step": 9,
                      "last": 0.7707509306854242,
                      "last_step": 79,
                      "latest": 0.7707509306854242,
                      "max": 0.7749650368120865,
                      "max_step": 79,
                      "min": 0.3483080297186247
                    },
                    {
                      "count": 8,
                      "first": 0.5060061008436371,
                      "first_step": 9,
                      "last": 0.8920917077868594,
                      "last_step": 79,
                      "latest": 0.8920917077868594,
                      "max": 0.9319481042228854,
                      "max_step": 79,
                      "min": 0.5060061008436371
                    }
                  ]
                },
                {
                  "best": {
                    "first": [
                      0
                    ],
                    "last": [
                      1
                    ],
                    "latest": [
                      1
                    ],
                    "max": [
                      0
                    ],
                    "min": [
                      1
                    ]
                  },
                  "differs": true,
                  "direction": "lower",
                  "direction_chosen": false,
                  "key": "val/loss",
                  "values": [
                    {
                      "count": 4,
                      "first": 0.981628666128771,
                      "first_step": 9,
                      "last": 0.31341729013314745,
                      "last_step": 39,
                      "latest": 0.31341729013314745,
                      "max": 0.981628666128771,
                      "max_step": 39,
                      "min": 0.31341729013314745
                    },
                    {
                      "count": 8,
                      "first": 1.1681616108040036,
                      "first_step": 9,
                      "last": 0.18803574361512337,
                      "last_step": 79,
                      "latest": 0.18803574361512337,
                      "max": 1.1681616108040036,
                      "max_step": 79,
                      "min": 0.1750630229535758
                    },
                    {
                      "count": 8,
                      "first": 1.274128632988308,
                      "first_step": 9,
                      "last": 0.35390207568278753,
                      "last_step": 79,
                      "latest": 0.35390207568278753,
                      "max": 1.274128632988308,
                      "max_step": 79,
                      "min": 0.35390207568278753
                    }
                  ]
                }
              ],
              "params": [
                {
                  "differs": true,
                  "key": "batch_size",
                  "values": [
                    "64",
                    "16",
                    "64"
                  ]
                },
                {
                  "differs": true,
                  "key": "dropout",
                  "values": [
                    "0.172",
                    null,
                    null
                  ]
                },
                {
                  "differs": true,
                  "key": "epochs",
                  "values": [
                    "36",
                    "9",
                    "6"
                  ]
                },
                {
                  "differs": true,
                  "key": "learning_rate",
                  "values": [
                    "0.0003",
                    "0.01",
                    "0.001"
                  ]
                },
                {
                  "differs": true,
                  "key": "model",
                  "values": [
                    "{'arch': 'resnet50', 'depth': 18, 'width_mult': 0.68, 'pretrained': True}",
                    "{'arch': 'mlp', 'depth': 34, 'width_mult': 1.11, 'pretrained': False}",
                    "{'arch': 'mlp', 'depth': 30, 'width_mult': 1.58, 'pretrained': True}"
                  ]
                },
                {
                  "differs": true,
                  "key": "momentum",
                  "values": [
                    "0.945",
                    null,
                    null
                  ]
                },
                {
                  "differs": true,
                  "key": "optimizer",
                  "values": [
                    "sgd",
                    "adamw",
                    "adam"
                  ]
                },
                {
                  "differs": true,
                  "key": "scheduler",
                  "values": [
                    "step",
                    null,
                    null
                  ]
                },
                {
                  "differs": true,
                  "key": "seed",
                  "values": [
                    "7867",
                    null,
                    null
                  ]
                },
                {
                  "differs": true,
                  "key": "use_amp",
                  "values": [
                    "False",
                    "False",
                    "True"
                  ]
                },
                {
                  "differs": true,
                  "key": "weight_decay",
                  "values": [
                    "1.064e-05",
                    "0.00046821",
                    "2.38e-06"
                  ]
                }
              ],
              "runs": [
                {
                  "experiment": "text-classification",
                  "id": "<id of 3cdc3609b3624b3ea94f6421d5d427e9>",
                  "name": "oom-crash",
                  "source": "mlflow",
                  "status": "failed"
                },
                {
                  "experiment": "text-classification",
                  "id": "<id of 5074934c27d5473482cbc3bc6d792667>",
                  "name": "trial-1 dropout=0.3",
                  "source": "mlflow",
                  "status": "finished"
                },
                {
                  "experiment": "text-classification",
                  "id": "<id of 53c87e98d12147f28057b7d5cc0dde7e>",
                  "name": "trial-0 dropout=0.1",
                  "source": "mlflow",
                  "status": "finished"
                }
              ],
              "tags": [
                {
                  "differs": true,
                  "key": "failure_reason",
                  "values": [
                    "CUDA out of memory (simulated)",
                    null,
                    null
                  ]
                },
                {
                  "differs": true,
                  "key": "mlflow.parentRunId",
                  "values": [
                    null,
                    "9feac3ec9cb546c4a01281a5d84bf168",
                    "9feac3ec9cb546c4a01281a5d84bf168"
                  ]
                },
                {
                  "differs": true,
                  "key": "mlflow.runName",
                  "values": [
                    "oom-crash",
                    "trial-1 dropout=0.3",
                    "trial-0 dropout=0.1"
                  ]
                },
                {
                  "differs": true,
                  "key": "mlflow.user",
                  "values": [
                    "alice",
                    "bob",
                    "alice"
                  ]
                }
              ]
            }"#]],
    );
}
