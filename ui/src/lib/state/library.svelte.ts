// Stores, indexing progress, errors and warnings. Tells subscribers when the index
// changed (an add finished, or a watched store was written to).
import {
  asIpcError,
  commands,
  events,
  type AddOutcome,
  type AttachOutcome,
  type IndexProgress,
  type IpcError,
  type StorageView,
  type StoreView,
  type WarningView,
} from "../ipc";
import { runPage } from "./runpage.svelte";

/** A run a drop would attach to: the element under the pointer that names one. */
export type DropRun = { runId: string; name: string };

/** The run named by the element at `at` or its nearest ancestor with `data-drop-run`. */
function runAt(at: { x: number; y: number } | null): DropRun | null {
  const el = at && document.elementFromPoint(at.x, at.y)?.closest<HTMLElement>("[data-drop-run]");
  return el ? { runId: el.dataset.dropRun!, name: el.dataset.dropName ?? "" } : null;
}

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
  /** The run a drop now would attach its folders to (null: a drop adds stores). */
  dropRun = $state.raw<DropRun | null>(null);
  /** The disk use dialog's answer, while it is open. */
  storage = $state.raw<StorageView | null>(null);
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
    await events.onDrop(({ kind, paths, at }) => {
      // On a run's row or page, folders are attached to that run; anywhere else they
      // are searched for stores.
      const run = kind === "leave" ? null : runAt(at);
      this.dropHover = kind === "over";
      this.dropRun = kind === "over" ? run : null;
      if (kind === "drop" && paths.length > 0) void (run ? this.attach(run, paths) : this.add(paths));
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

  /** Attaches folders to a run (a drop on it, or "Attach folder…"); the run's page, if
   * open, shows them at once. */
  async attach(run: DropRun, folders: string[]): Promise<void> {
    this.lastOutcome = null;
    const told: string[] = [];
    for (const folder of folders) {
      try {
        const outcome = await commands.attachFolder({ request: { runId: run.runId, folder } });
        runPage.shown(outcome.detail);
        told.push(attached(outcome, run.name));
      } catch (e) {
        this.error = asIpcError(e);
      }
    }
    if (told.length > 0) this.lastOutcome = told.join("; ");
  }

  async pickAndAttach(run: DropRun): Promise<void> {
    try {
      const folder = await commands.pickFolder({ title: `Attach a folder to ${run.name}` });
      if (folder) await this.attach(run, [folder]);
    } catch (e) {
      this.error = asIpcError(e);
    }
  }

  async detach(runId: string, folder: string): Promise<void> {
    try {
      runPage.shown(await commands.detachFolder({ request: { runId, folder } }));
    } catch (e) {
      this.error = asIpcError(e);
    }
  }

  async pickAndAdd(): Promise<void> {
    try {
      const folder = await commands.pickFolder({ title: "Add a folder with run stores" });
      if (folder) await this.add([folder]);
    } catch (e) {
      this.error = asIpcError(e);
    }
  }

  async openStorage(): Promise<void> {
    try {
      this.storage = await commands.storage({ top: 20 });
    } catch (e) {
      this.error = asIpcError(e);
    }
  }

  /** Shows one of a run's files in its folder (from the disk use dialog). */
  async reveal(runId: string, path: string): Promise<void> {
    try {
      await commands.openArtifact({ request: { runId, path, reveal: true } });
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

function attached(o: AttachOutcome, run: string): string {
  const kept = o.shadowed > 0 ? ` (${o.shadowed} with a path the run already had stay its own)` : "";
  const more = o.truncated ? ", more not listed" : "";
  return `Attached ${o.folder} to ${run}: ${o.files} files${more}${kept}`;
}

export const library = new Library();
