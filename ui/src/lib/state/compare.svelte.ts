// The Compare view: which runs are side by side, the answer from the backend, and the
// view's own toggles. What differs, what is best and which params matter are computed
// in Rust (crates/index/src/compare.rs); this keeps the request and the answer.
import {
  asIpcError,
  commands,
  type Aggregate,
  type ArtifactGridView,
  type ArtifactPatternView,
  type AxisSpec,
  type BetterWhen,
  type CompareView,
  type FileDiffView,
  type IpcError,
} from "../ipc";

class Compare {
  /** The compared runs; empty: the view is closed. */
  runIds = $state.raw<string[]>([]);
  view = $state.raw<CompareView | null>(null);
  error = $state.raw<IpcError | null>(null);
  onlyDifferences = $state(false);
  /** Runs as rows, keys as columns. */
  transposed = $state(false);
  /** The aggregate the metric table shows and ranks by. */
  aggregate = $state<Aggregate>("latest");
  /** The metric whose params matter; null: the backend's choice. */
  metric = $state<string | null>(null);
  /** The scatter's axes and the parallel coordinates' params; null: the backend's choice. */
  scatter = $state.raw<[AxisSpec, AxisSpec] | null>(null);
  parallel = $state.raw<string[] | null>(null);
  loading = $state(false);
  /** A report being written, and the files the last one wrote. */
  exporting = $state(false);
  exported = $state.raw<string[]>([]);
  /** The two runs whose recorded code and environment are diffed, and the answer. */
  diffPair = $state.raw<[string, string] | null>(null);
  diffs = $state.raw<FileDiffView[] | null>(null);
  /** The files both runs of the pair list that may be text, and the diff of the one chosen. */
  sharedArtifacts = $state.raw<string[]>([]);
  artifactDiff = $state.raw<FileDiffView | null>(null);
  /** The same artifact across the runs: the image patterns found, the one shown, its grid. */
  patterns = $state.raw<ArtifactPatternView[] | null>(null);
  pattern = $state<string | null>(null);
  grid = $state.raw<ArtifactGridView | null>(null);
  #generation = 0;
  #images = new Map<string, Promise<string | null>>();

  get open(): boolean {
    return this.runIds.length > 0;
  }

  async show(runIds: string[]): Promise<void> {
    this.runIds = runIds;
    this.view = null;
    this.metric = null;
    this.scatter = null;
    this.parallel = null;
    this.diffs = null;
    this.sharedArtifacts = [];
    this.artifactDiff = null;
    this.patterns = null;
    this.pattern = null;
    this.grid = null;
    this.#images.clear();
    const [a, b] = runIds;
    this.diffPair = a !== undefined && b !== undefined ? [a, b] : null;
    await this.load();
  }

  /** Asks where to write a report of the compared runs (the native save dialog), then writes it. */
  async exportReport(): Promise<void> {
    if (!this.open || this.exporting) return;
    try {
      const path = await commands.pickReportPath({ suggested: "runlens-report.html" });
      if (path) await this.exportTo(path);
    } catch (e) {
      this.error = asIpcError(e);
    }
  }

  async exportTo(path: string): Promise<void> {
    this.exporting = true;
    this.exported = [];
    try {
      // The image the Compare view shows across the runs goes into the report too.
      const images = this.pattern === null ? [] : [this.pattern];
      const outcome = await commands.exportReport({ request: { runIds: this.runIds, path, format: null, metrics: [], title: null, images } });
      this.exported = outcome.files;
    } catch (e) {
      this.error = asIpcError(e);
    } finally {
      this.exporting = false;
    }
  }

  /** Opens a report the last export wrote, or shows it in its folder. */
  async openWritten(path: string, reveal: boolean): Promise<void> {
    try {
      await commands.openWritten({ path, reveal });
    } catch (e) {
      this.error = asIpcError(e);
    }
  }

  /** The error was read: the view stays if it has something to show. */
  dismissError(): void {
    this.error = null;
    if (!this.view) this.close();
  }

  close(): void {
    this.exported = [];
    this.runIds = [];
    this.view = null;
    this.error = null;
  }

  async load(): Promise<void> {
    if (!this.open) return;
    const generation = ++this.#generation;
    this.loading = true;
    try {
      const ask = () =>
        commands.compareRuns({
          request: {
            runIds: this.runIds,
            metric: this.metric,
            aggregate: this.aggregate,
            scatterX: this.scatter?.[0] ?? null,
            scatterY: this.scatter?.[1] ?? null,
            parallel: this.parallel,
          },
        });
      const view = await ask();
      // For the render benchmark (tests/e2e/examples/compare_render.rs).
      performance.mark("compare-answer");
      if (generation !== this.#generation) return;
      // Without a metric chosen, the backend picked one.
      this.metric = view.importance?.metric ?? this.metric;
      this.view = view;
      this.error = null;
    } catch (e) {
      if (generation === this.#generation) this.error = asIpcError(e);
    } finally {
      if (generation === this.#generation) this.loading = false;
    }
  }

  /** Finds the image patterns among the runs' files and shows the most shared one. */
  async loadPatterns(): Promise<void> {
    const runIds = this.runIds;
    try {
      const patterns = await commands.artifactPatterns({ runIds });
      if (runIds !== this.runIds) return;
      this.patterns = patterns;
      const first = patterns[0];
      if (first && this.pattern === null) await this.showPattern(first.pattern);
    } catch (e) {
      this.error = asIpcError(e);
    }
  }

  /** Lines up each run's file of `pattern` by step. */
  async showPattern(pattern: string): Promise<void> {
    const runIds = this.runIds;
    this.pattern = pattern;
    try {
      const grid = await commands.artifactGrid({ request: { runIds, pattern } });
      if (runIds === this.runIds && pattern === this.pattern) this.grid = grid;
    } catch (e) {
      this.error = asIpcError(e);
    }
  }

  /** One run's image as a data URL of its thumbnail (scaled in Rust to fit `side` CSS
   * pixels, null: it could not be read), asked once per view and size. */
  image(runId: string, path: string, side: number): Promise<string | null> {
    const key = `${runId}\n${path}\n${side}`;
    let url = this.#images.get(key);
    if (!url) {
      url = commands
        .artifactThumbnail({ request: { runId, path, side: Math.round(side * Math.max(1, devicePixelRatio)) } })
        .then((t) => t.url)
        .catch(() => null);
      this.#images.set(key, url);
    }
    return url;
  }

  /** Diffs what the stores recorded of two of the runs' code and environment. */
  async diff(a: string, b: string): Promise<void> {
    this.diffPair = [a, b];
    this.artifactDiff = null;
    try {
      const [diffs, shared] = await Promise.all([commands.codeDiff({ runA: a, runB: b }), commands.sharedTextArtifacts({ runA: a, runB: b })]);
      this.diffs = diffs;
      this.sharedArtifacts = shared;
    } catch (e) {
      this.error = asIpcError(e);
    }
  }

  /** Diffs one file both runs of the pair list. */
  async diffArtifact(path: string): Promise<void> {
    const pair = this.diffPair;
    if (!pair) return;
    try {
      const d = await commands.artifactDiff({ request: { runA: pair[0], runB: pair[1], path } });
      if (pair === this.diffPair) this.artifactDiff = d;
    } catch (e) {
      this.error = asIpcError(e);
    }
  }

  async setAggregate(a: Aggregate): Promise<void> {
    this.aggregate = a;
    await this.load();
  }

  async setScatter(x: AxisSpec, y: AxisSpec): Promise<void> {
    this.scatter = [x, y];
    await this.load();
  }

  async setParallel(params: string[]): Promise<void> {
    this.parallel = params;
    await this.load();
  }

  async setMetric(key: string): Promise<void> {
    this.metric = key;
    await this.load();
  }

  /** Flips which way is better for a metric, and remembers it. */
  async flipDirection(key: string, now: BetterWhen): Promise<void> {
    try {
      await commands.setMetricDirection({ key, better: now === "lower" ? "higher" : "lower" });
    } catch (e) {
      this.error = asIpcError(e);
    }
    await this.load();
  }
}

export const compare = new Compare();
