// The part of a big grid of fixed-size cells a scroll box shows: the grids draw only the
// rows and columns in it (and a few beyond, so scrolling shows no gap).

export class ScrollWindow {
  top = $state(0);
  left = $state(0);
  height = $state(480);
  width = $state(900);

  constructor(private readonly overscan: number) {}

  /** The rows of `size` px (of `count`) the box shows: [first, end). */
  rows(size: number, count: number): [number, number] {
    return this.#span(this.top, this.height, size, count);
  }

  /** The columns of `size` px (of `count`) the box shows: [first, end). */
  cols(size: number, count: number): [number, number] {
    return this.#span(this.left, this.width, size, count);
  }

  scrolled(box: HTMLElement | undefined): void {
    if (!box) return;
    this.top = box.scrollTop;
    this.left = box.scrollLeft;
  }

  #span(from: number, extent: number, size: number, count: number): [number, number] {
    return [Math.max(0, Math.floor(from / size) - this.overscan), Math.min(count, Math.ceil((from + extent) / size) + this.overscan)];
  }
}

/** `a`, `a + 1`, …, `b - 1`. */
export const range = (a: number, b: number): number[] => Array.from({ length: Math.max(0, b - a) }, (_, k) => a + k);
