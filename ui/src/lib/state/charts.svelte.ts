// Charts of the selected runs: which metrics, which x axis, smoothing, zoom, and the
// series data (reduced for the screen in Rust, full resolution once zoomed in).
import { api, asIpcError, type IpcError, type MetricKey, type SeriesData } from "../ipc";

export type XAxis = "step" | "time" | "relative";

class Charts {
  runIds = $state.raw<string[]>([]);
  keys = $state.raw<MetricKey[]>([]);
  /** The metrics charted, one chart each. */
  chosen = $state.raw<string[]>([]);
  x = $state<XAxis>("step");
  smoothing = $state(0);
  logY = $state(false);
  /** Zoomed range per metric, in x units; absent: everything. */
  ranges = $state.raw<Record<string, [number, number]>>({});
  data = $state.raw<Record<string, SeriesData[]>>({});
  error = $state.raw<IpcError | null>(null);
  /** Width of one chart in pixels: the backend returns about two points per pixel. */
  width = 800;
  #generation = 0;

  /** The selection changed: learn its metric keys, keep the chosen ones that remain. */
  async select(runIds: string[]): Promise<void> {
    this.runIds = runIds;
    if (runIds.length === 0) {
      this.keys = [];
      this.data = {};
      return;
    }
    try {
      this.keys = await api.metricKeys(runIds);
    } catch (e) {
      this.error = asIpcError(e);
      return;
    }
    const available = new Set(this.keys.map((k) => k.key));
    const kept = this.chosen.filter((k) => available.has(k));
    // By default, the first loss-like metric all selected runs share, else the most shared.
    const shared = this.keys.filter((k) => k.runs === this.keys[0]?.runs);
    const first = shared.find((k) => /loss/i.test(k.key)) ?? this.keys[0];
    this.chosen = kept.length > 0 ? kept : first ? [first.key] : [];
    await this.load();
  }

  toggleKey(key: string): void {
    this.chosen = this.chosen.includes(key) ? this.chosen.filter((k) => k !== key) : [...this.chosen, key];
    void this.load();
  }

  setX(x: XAxis): void {
    this.x = x;
    this.ranges = {};
    void this.load();
  }

  setSmoothing(s: number): void {
    this.smoothing = s;
    void this.load();
  }

  /** A drag on a chart zoomed it (or a double click reset it: `null`). */
  zoom(key: string, range: [number, number] | null): void {
    const next = { ...this.ranges };
    if (range) next[key] = range;
    else delete next[key];
    this.ranges = next;
    void this.load([key]);
  }

  /** Fetches the series of the chosen keys (or just `only`) for every selected run. */
  async load(only?: string[]): Promise<void> {
    const generation = ++this.#generation;
    const keys = only ?? this.chosen;
    try {
      const fetched = await Promise.all(
        keys.map(async (key) => {
          const range = this.ranges[key];
          const lines = await Promise.all(
            this.runIds.map((runId) =>
              api.series({
                runId,
                key,
                x: this.x,
                from: range ? range[0] : null,
                to: range ? range[1] : null,
                maxPoints: Math.max(200, Math.round(this.width * 2)),
                smoothing: this.smoothing,
              }),
            ),
          );
          return [key, lines.filter((l): l is SeriesData => l !== null)] as const;
        }),
      );
      if (generation !== this.#generation && !only) return;
      const next = only ? { ...this.data } : {};
      for (const [key, lines] of fetched) next[key] = lines;
      this.data = next;
      this.error = null;
    } catch (e) {
      this.error = asIpcError(e);
    }
  }
}

export const charts = new Charts();
