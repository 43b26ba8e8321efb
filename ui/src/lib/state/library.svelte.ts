// Stores, indexing progress, errors and warnings. Tells subscribers when the index
// changed (an add finished, or a watched store was written to).
import {
  asIpcError,
  commands,
  events,
  type AddOutcome,
  type IndexProgress,
  type IpcError,
  type StoreView,
  type WarningView,
} from "../ipc";

class Library {
  stores = $state.raw<StoreView[]>([]);
  /** True until the first load finished. */
  loading = $state(true);
  /** Set while an add runs. */
  progress = $state.raw<IndexProgress | null>(null);
  indexing = $state(false);
  /** Shown in a dialog until dismissed. */
  error = $state.raw<IpcError | null>(null);
  /** One line about the last add, e.g. "2 stores, 22 runs". */
  lastOutcome = $state<string | null>(null);
  dropHover = $state(false);
  /** Warnings of the store whose warnings dialog is open. */
  warnings = $state.raw<{ store: StoreView; items: WarningView[] } | null>(null);

  #listeners: (() => void)[] = [];

  /** Calls `f` whenever the index changed. */
  onChanged(f: () => void): void {
    this.#listeners.push(f);
  }

  /** Registers the backend event listeners, then loads. Resolves when the UI is live. */
  async start(): Promise<void> {
    await events.onIndexProgress((p) => {
      this.indexing = true;
      this.progress = p;
    });
    await events.onIndexChanged(() => {
      this.indexing = false;
      this.progress = null;
      void this.changed();
    });
    await events.onIndexError((e) => {
      this.indexing = false;
      this.progress = null;
      this.error = e;
    });
    await events.onDrop(({ kind, paths }) => {
      this.dropHover = kind === "over";
      if (kind === "drop" && paths.length > 0) void this.add(paths);
    });
    await this.changed();
  }

  /** Reloads the stores and tells the subscribers. */
  async changed(): Promise<void> {
    try {
      this.stores = await commands.listStores();
    } catch (e) {
      this.error = asIpcError(e);
    } finally {
      this.loading = false;
    }
    for (const f of this.#listeners) f();
  }

  /** Indexes the given folders (from the Open dialog or a drop). */
  async add(paths: string[]): Promise<void> {
    this.indexing = true;
    this.lastOutcome = null;
    try {
      const outcome = await commands.addPaths({ paths });
      this.lastOutcome = describe(outcome, paths);
    } catch (e) {
      this.error = asIpcError(e);
    } finally {
      this.indexing = false;
      this.progress = null;
      await this.changed();
    }
  }

  async pickAndAdd(): Promise<void> {
    try {
      const folder = await commands.pickFolder();
      if (folder) await this.add([folder]);
    } catch (e) {
      this.error = asIpcError(e);
    }
  }

  async openWarnings(store: StoreView): Promise<void> {
    try {
      this.warnings = { store, items: await commands.storeWarnings({ storeId: store.id }) };
    } catch (e) {
      this.error = asIpcError(e);
    }
  }
}

function describe(o: AddOutcome, paths: string[]): string {
  if (o.stores.length === 0) return `No run stores found in ${paths.join(", ")}`;
  const runs = o.stores.reduce((n, s) => n + s.store.runs, 0);
  const fresh = o.stores.reduce((n, s) => n + s.runsNew, 0);
  const stores = o.stores.length === 1 ? "1 store" : `${o.stores.length} stores`;
  return `${stores}, ${runs} runs (${fresh} new)`;
}

export const library = new Library();
