"""SciPy's answers for the rank statistics of Runlens's "which params matter".

Reads JSON from stdin: {"spearman": [[xs, ys], ...], "kruskal": [[group, ...], ...]}
and prints {"spearman": [rho or null, ...], "kruskal": [H or null, ...]}: what
scipy.stats.spearmanr and scipy.stats.kruskal say (null where SciPy gives NaN).
"""
import json
import math
import sys
import warnings

from scipy import stats


def finite(v):
    v = float(v)
    return None if math.isnan(v) else v


def main():
    cases = json.load(sys.stdin)
    out = {"spearman": [], "kruskal": []}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # constant input: NaN plus a warning
        for xs, ys in cases["spearman"]:
            out["spearman"].append(finite(stats.spearmanr(xs, ys).statistic))
        for groups in cases["kruskal"]:
            try:
                out["kruskal"].append(finite(stats.kruskal(*groups).statistic))
            except ValueError:  # all values the same
                out["kruskal"].append(None)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
