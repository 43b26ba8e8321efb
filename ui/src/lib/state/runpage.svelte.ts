// The run page: which run is open and what the backend said of it.
import { asIpcError, commands, type AnnotateRequest, type IpcError, type RunDetail } from "../ipc";

/** A change of the open run's annotations: what is left out stays as it is. */
export type Annotation = Partial<Omit<AnnotateRequest, "runId">>;

class RunPage {
  /** The open run; null: the page is closed. */
  runId = $state<string | null>(null);
  detail = $state.raw<RunDetail | null>(null);
  error = $state.raw<IpcError | null>(null);
  #generation = 0;

  async show(runId: string): Promise<void> {
    this.runId = runId;
    this.detail = null;
    await this.load();
  }

  close(): void {
    this.runId = null;
    this.detail = null;
    this.error = null;
  }

  /** Stars, notes or labels the open run; true when it was saved. */
  async annotate(change: Annotation): Promise<boolean> {
    const runId = this.runId;
    if (runId === null) return false;
    try {
      const detail = await commands.annotateRun({
        request: {
          runId,
          starred: change.starred ?? null,
          note: change.note ?? null,
          addLabels: change.addLabels ?? [],
          removeLabels: change.removeLabels ?? [],
        },
      });
      if (this.runId === runId) this.detail = detail;
      return true;
    } catch (e) {
      this.error = asIpcError(e);
      return false;
    }
  }

  async load(): Promise<void> {
    const runId = this.runId;
    if (runId === null) return;
    const generation = ++this.#generation;
    try {
      const detail = await commands.runDetail({ runId });
      if (generation === this.#generation) this.detail = detail;
    } catch (e) {
      if (generation === this.#generation) this.error = asIpcError(e);
    }
  }
}

export const runPage = new RunPage();
