// The runs table: filter text, sort keys, pages loaded so far, and the selection.
// Filtering, sorting and the choice of metric columns happen in Rust; this keeps the
// request and the answer.
import {
  asIpcError,
  commands,
  type IpcError,
  type MetricColumn,
  type QueryError,
  type RunRow,
  type RunsRequest,
  type SortBy,
} from "../ipc";

const PAGE = 200;

class Explorer {
  filter = $state("");
  /** Most significant first; fields come from the backend (column names, `MetricColumn.field`). */
  sort = $state.raw<SortBy[]>([]);
  showDeleted = $state(false);
  runs = $state.raw<RunRow[]>([]);
  total = $state(0);
  /** The metric columns the backend chose for the rows of the last refresh. */
  metricColumns = $state.raw<MetricColumn[]>([]);
  /** A malformed filter or sort key: shown in place, the last good rows stay. */
  queryError = $state.raw<QueryError | null>(null);
  /** Any other failure. */
  error = $state.raw<IpcError | null>(null);
  selected = $state.raw<Set<string>>(new Set());
  loaded = $state(false);
  /** Bumped by every refresh: an answer to an older request is dropped. */
  #generation = 0;
  /** The request whose answer `runs` holds: further pages are of it, whatever was typed since. */
  #shown: Omit<RunsRequest, "offset" | "limit"> | null = null;
  #timer: ReturnType<typeof setTimeout> | undefined;

  /** Re-runs the query for as many rows as are loaded (at least one page). */
  async refresh(): Promise<void> {
    const generation = ++this.#generation;
    const query = { includeDeleted: this.showDeleted, filter: this.filter, sort: this.sort };
    const limit = Math.max(PAGE, this.runs.length);
    try {
      const page = await commands.runsPage({ request: { ...query, offset: 0, limit } });
      if (generation !== this.#generation) return; // a newer query answered first
      this.#shown = query;
      this.runs = page.runs;
      this.total = page.total;
      this.metricColumns = page.metricColumns;
      this.queryError = null;
      this.error = null;
      // The selection keeps the runs that still match (loaded or not).
      const loaded = new Set(page.runs.map((r) => r.id));
      if ([...this.selected].some((id) => !loaded.has(id))) {
        const matching = page.total > page.runs.length ? new Set(await commands.matchingRuns({ request: { ...query, offset: 0, limit: 0 } })) : loaded;
        if (generation !== this.#generation) return;
        this.selected = new Set([...this.selected].filter((id) => matching.has(id)));
      }
    } catch (e) {
      if (generation !== this.#generation) return;
      const err = asIpcError(e);
      if (err.query) this.queryError = err.query;
      else this.error = err;
    } finally {
      this.loaded = true;
    }
  }

  /** The next page of the rows shown. Dropped if a refresh started meanwhile, or if
   * another page was appended first (a double click). */
  async loadMore(): Promise<void> {
    const query = this.#shown;
    const offset = this.runs.length;
    if (!query || offset >= this.total) return;
    const generation = this.#generation;
    try {
      const page = await commands.runsPage({ request: { ...query, offset, limit: PAGE } });
      if (generation !== this.#generation || this.runs.length !== offset) return;
      this.runs = [...this.runs, ...page.runs];
      this.total = page.total;
    } catch (e) {
      if (generation === this.#generation) this.error = asIpcError(e);
    }
  }

  /** Typing in the filter box: query once the typing pauses. */
  setFilter(text: string): void {
    this.filter = text;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.refresh(), 150);
  }

  /** Clicking a column: sort by its field, then reverse, then back to the default order. */
  toggleSort(field: string): void {
    const dir = this.sortOf(field);
    this.sort = dir === null ? [{ field, descending: false }] : dir === "asc" ? [{ field, descending: true }] : [];
    void this.refresh();
  }

  sortOf(field: string): "asc" | "desc" | null {
    const current = this.sort[0];
    if (!current || current.field !== field) return null;
    return current.descending ? "desc" : "asc";
  }

  async setShowDeleted(value: boolean): Promise<void> {
    this.showDeleted = value;
    await this.refresh();
  }

  toggle(id: string): void {
    const next = new Set(this.selected);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    this.selected = next;
  }

  /** Selects every run the table's filter keeps, loaded or not. */
  async selectAllMatching(): Promise<void> {
    const query = this.#shown;
    if (!query) return;
    try {
      this.selected = new Set(await commands.matchingRuns({ request: { ...query, offset: 0, limit: 0 } }));
    } catch (e) {
      this.error = asIpcError(e);
    }
  }

  clearSelection(): void {
    this.selected = new Set();
  }
}

export const explorer = new Explorer();
