// The run page: which run is open and what the backend said of it.
import {
  asIpcError,
  commands,
  type AnnotateRequest,
  type ArtifactPreview,
  type IpcError,
  type RunDetail,
  type SameFileView,
} from "../ipc";

/** A change of the open run's annotations: what is left out stays as it is. */
export type Annotation = Partial<Omit<AnnotateRequest, "runId">>;

class RunPage {
  /** The open run; null: the page is closed. */
  runId = $state<string | null>(null);
  detail = $state.raw<RunDetail | null>(null);
  error = $state.raw<IpcError | null>(null);
  /** The artifact being previewed, its preview, and why it could not be (shown in place). */
  artifact = $state<string | null>(null);
  preview = $state.raw<ArtifactPreview | null>(null);
  previewError = $state.raw<IpcError | null>(null);
  /** Other runs' files with the same bytes as the previewed one (null: not asked or not known). */
  same = $state.raw<SameFileView[] | null>(null);
  #generation = 0;
  #previewGeneration = 0;

  async show(runId: string): Promise<void> {
    this.runId = runId;
    this.detail = null;
    this.closeArtifact();
    await this.load();
  }

  close(): void {
    this.runId = null;
    this.detail = null;
    this.error = null;
    this.closeArtifact();
  }

  /** Previews one of the open run's files (text: its last page). */
  async openArtifact(path: string): Promise<void> {
    const runId = this.runId;
    if (runId === null) return;
    const generation = ++this.#previewGeneration;
    this.artifact = path;
    this.preview = null;
    this.previewError = null;
    this.same = null;
    try {
      const preview = await commands.artifactPreview({ request: { runId, path, before: null } });
      if (generation === this.#previewGeneration) this.preview = preview;
    } catch (e) {
      if (generation === this.#previewGeneration) this.previewError = asIpcError(e);
      return;
    }
    // Files inside logs are not compared; a refusal here only leaves the line out.
    if (this.detail?.artifacts.some((a) => a.path === path && !a.embedded)) {
      try {
        const same = await commands.sameFiles({ request: { runId, path, before: null } });
        if (generation === this.#previewGeneration) this.same = same;
      } catch {
        // The preview said what there is to say about the file.
      }
    }
  }

  /** The page of text before the one shown, put in front of it. */
  async earlier(): Promise<void> {
    const [runId, path, shown] = [this.runId, this.artifact, this.preview];
    if (runId === null || path === null || shown?.kind !== "text" || shown.start === 0) return;
    const generation = this.#previewGeneration;
    try {
      const page = await commands.artifactPreview({ request: { runId, path, before: shown.start } });
      if (generation !== this.#previewGeneration || page.kind !== "text") return;
      this.preview = { ...shown, text: page.text + shown.text, start: page.start };
    } catch (e) {
      if (generation === this.#previewGeneration) this.previewError = asIpcError(e);
    }
  }

  /** Hands one of the run's files to the system (its program, or its folder); a refusal is shown in place. */
  async openWith(path: string, reveal: boolean): Promise<void> {
    const runId = this.runId;
    if (runId === null) return;
    try {
      await commands.openArtifact({ request: { runId, path, reveal } });
    } catch (e) {
      if (this.artifact === path) this.previewError = asIpcError(e);
    }
  }

  closeArtifact(): void {
    this.#previewGeneration++;
    this.artifact = null;
    this.preview = null;
    this.previewError = null;
    this.same = null;
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

  /** The run's page as the backend just answered it (after attaching a folder), if it is the open one. */
  shown(detail: RunDetail): void {
    if (this.runId === detail.run.id) this.detail = detail;
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
