// The run page: which run is open and what the backend said of it.
import { asIpcError, commands, type IpcError, type RunDetail } from "../ipc";

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
