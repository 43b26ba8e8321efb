// The runs table: filter text, sort keys, pages loaded so far, and the selection.
// Filtering and sorting happen in Rust; this keeps the request and the answer.
import { api, asIpcError, type IpcError, type QueryError, type RunRow } from "../ipc";

const PAGE = 200;

class Explorer {
  filter = $state("");
  /** Sort keys in the filter language, most significant first (`-started`). */
  sort = $state.raw<string[]>([]);
  showDeleted = $state(false);
  runs = $state.raw<RunRow[]>([]);
  total = $state(0);
  /** A malformed filter or sort key: shown in place, the last good rows stay. */
  queryError = $state.raw<QueryError | null>(null);
  /** Any other failure. */
  error = $state.raw<IpcError | null>(null);
  selected = $state.raw<Set<string>>(new Set());
  loaded = $state(false);
  #generation = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  /** Re-runs the query for as many rows as are loaded (at least one page). */
  async refresh(): Promise<void> {
    const generation = ++this.#generation;
    const limit = Math.max(PAGE, this.runs.length);
    try {
      const page = await api.queryRuns({
        includeDeleted: this.showDeleted,
        filter: this.filter,
        sort: this.sort,
        offset: 0,
        limit,
      });
      if (generation !== this.#generation) return; // a newer query answered first
      this.runs = page.runs;
      this.total = page.total;
      this.queryError = null;
      this.error = null;
      const present = new Set(page.runs.map((r) => r.id));
      if ([...this.selected].some((id) => !present.has(id))) {
        this.selected = new Set([...this.selected].filter((id) => present.has(id)));
      }
    } catch (e) {
      if (generation !== this.#generation) return;
      const err = asIpcError(e);
      if (err.code === "bad_query" && err.query) this.queryError = err.query;
      else this.error = err;
    } finally {
      this.loaded = true;
    }
  }

  async loadMore(): Promise<void> {
    if (this.runs.length >= this.total) return;
    try {
      const page = await api.queryRuns({
        includeDeleted: this.showDeleted,
        filter: this.filter,
        sort: this.sort,
        offset: this.runs.length,
        limit: PAGE,
      });
      this.runs = [...this.runs, ...page.runs];
      this.total = page.total;
    } catch (e) {
      this.error = asIpcError(e);
    }
  }

  /** Typing in the filter box: query once the typing pauses. */
  setFilter(text: string): void {
    this.filter = text;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.refresh(), 150);
  }

  /** Clicking a column: sort by it, then reverse, then back to the default order. */
  toggleSort(key: string): void {
    const current = this.sort[0];
    if (current === key) this.sort = [`-${key}`];
    else if (current === `-${key}`) this.sort = [];
    else this.sort = [key];
    void this.refresh();
  }

  sortOf(key: string): "asc" | "desc" | null {
    const current = this.sort[0];
    return current === key ? "asc" : current === `-${key}` ? "desc" : null;
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

  clearSelection(): void {
    this.selected = new Set();
  }
}

export const explorer = new Explorer();
