/**
 * A one-line progress bar on the terminal (stderr), redrawn in place: which scenario of how many,
 * how far through its measurements, and what runs now. Silent when stderr is not a terminal (CI
 * logs, pipes), so that logs hold only the tables.
 */
class Progress {
  readonly #stream = process.stderr
  readonly #enabled = process.stderr.isTTY === true && process.env.CI === undefined
  #scenario = ''
  #index = 0
  #count = 0
  #done = 0
  #planned = 0
  #label = ''
  #shown = false

  /** A scenario starts: `index` of `count` (1-based). */
  scenario(index: number, count: number, name: string): void {
    this.#scenario = name
    this.#index = index
    this.#count = count
    this.#done = 0
    this.#planned = 0
    this.#label = ''
    this.#draw()
  }

  /** `steps` more measurements are coming in this scenario. */
  plan(steps: number): void {
    this.#planned += steps
    this.#draw()
  }

  /** One measurement is done; `label` says what runs next (or what just ran). */
  step(label: string): void {
    this.#done++
    this.#label = label
    this.#draw()
  }

  /** What runs now, without counting a step. */
  doing(label: string): void {
    this.#label = label
    this.#draw()
  }

  /** Wipes the bar so that a table can be printed; the next update draws it again. */
  clear(): void {
    if (!this.#shown) return
    this.#stream.write('\r\x1b[2K')
    this.#shown = false
  }

  #draw(): void {
    if (!this.#enabled) return
    const width = 24
    const fraction = this.#planned === 0 ? 0 : Math.min(1, this.#done / this.#planned)
    const filled = Math.round(fraction * width)
    const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`
    const columns = this.#stream.columns ?? 100
    const line = `[${this.#index}/${this.#count}] ${this.#scenario} ${bar} ${Math.round(fraction * 100)}% ${this.#label}`
    this.#stream.write(`\r\x1b[2K${line.slice(0, Math.max(20, columns - 1))}`)
    this.#shown = true
  }
}

/** The run's progress bar, shared by the runner, the measurements and the table printer. */
export const progress = new Progress()
