// Charts of the selected runs: which metrics, which x axis, smoothing, zoom, and the
// charts' data (reduced for the screen in Rust, full resolution once zoomed in), all
// fetched in one call.
import { asIpcError, commands, type Chart, type ChartX, type IpcError, type MetricKey } from "../ipc";

export class Charts {
  runIds = $state.raw<string[]>([]);
  keys = $state.raw<MetricKey[]>([]);
  /** The metrics charted, one chart each. */
  chosen = $state.raw<string[]>([]);
  x = $state<ChartX>("step");
  smoothing = $state(0);
  logY = $state(false);
  /** Zoomed range per metric, in x units; absent: everything. */
  ranges = $state.raw<Record<string, [number, number]>>({});
  data = $state.raw<Record<string, Chart>>({});
  error = $state.raw<IpcError | null>(null);
  /** Width of one chart in pixels: the backend returns about two points per pixel. */
  width = 800;
  #generation = 0;

  /** The selection changed: learn its metric keys, keep the chosen ones that remain,
   * else open on the metric the backend picks. */
  async select(runIds: string[]): Promise<void> {
    this.runIds = runIds;
    if (runIds.length === 0) {
      this.keys = [];
      this.data = {};
      return;
    }
    let fallback: string | null;
    try {
      const found = await commands.metricKeys({ runIds });
      this.keys = found.keys;
      fallback = found.default;
    } catch (e) {
      this.error = asIpcError(e);
      return;
    }
    const available = new Set(this.keys.map((k) => k.key));
    const kept = this.chosen.filter((k) => available.has(k));
    this.chosen = kept.length > 0 ? kept : fallback !== null ? [fallback] : [];
    await this.load();
  }

  toggleKey(key: string): void {
    this.chosen = this.chosen.includes(key) ? this.chosen.filter((k) => k !== key) : [...this.chosen, key];
    void this.load();
  }

  setX(x: ChartX): void {
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

  /** Fetches the charts of the chosen keys (or just `only`) for every selected run. */
  async load(only?: string[]): Promise<void> {
    const generation = ++this.#generation;
    const keys = only ?? this.chosen;
    try {
      const fetched = await commands.charts({
        request: {
          runIds: this.runIds,
          metrics: keys.map((key) => {
            const range = this.ranges[key];
            return { key, from: range ? range[0] : null, to: range ? range[1] : null };
          }),
          x: this.x,
          maxPoints: Math.max(200, Math.round(this.width * 2)),
          smoothing: this.smoothing,
        },
      });
      if (generation !== this.#generation && !only) return;
      const next = only ? { ...this.data } : {};
      for (const chart of fetched) next[chart.key] = chart;
      this.data = next;
      this.error = null;
    } catch (e) {
      this.error = asIpcError(e);
    }
  }
}

/** The explorer's charts (of the selected runs, also shown by the Compare view). */
export const charts = new Charts();
/** The open run page's charts. */
export const runCharts = new Charts();
