/** Whole numbers with thousands separators: `1,234,567`. */
export function formatCount(value: number): string {
  if (!Number.isFinite(value)) return 'n/a'
  return Math.round(value).toLocaleString('en-US')
}

/** A duration given in ms, in the unit that reads best: `85 ns`, `12.3 µs`, `1.25 ms`, `2.31 s`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return 'n/a'
  if (ms === 0) return '0'
  const ns = ms * 1e6
  if (ns < 1_000) return `${ns.toPrecision(3)} ns`
  if (ns < 1e6) return `${(ns / 1e3).toPrecision(3)} µs`
  if (ns < 1e9) return `${(ns / 1e6).toPrecision(3)} ms`
  return `${(ns / 1e9).toPrecision(3)} s`
}

/** A ratio as a multiple: `0.93×`, `12.4×`, `1,310×`. */
export function formatRatio(ratio: number): string {
  if (!Number.isFinite(ratio)) return 'n/a'
  if (ratio >= 1000) return `${formatCount(ratio)}×`
  return `${ratio.toPrecision(3)}×`
}

/** A relative margin of error: `±1.2%`. */
export function formatRme(rme: number): string {
  return Number.isFinite(rme) ? `±${rme.toFixed(1)}%` : ''
}

/** `PASS` or `MISS` against a minimum ratio, with the target: `PASS (≥ 0.50×)`. */
export function verdict(ratio: number, target: number): string {
  return `${ratio >= target ? 'PASS' : 'MISS'} (≥ ${target.toFixed(2)}×)`
}

/** A URL fit to print: a user name or password in it is masked. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.username !== '') parsed.username = '***'
    if (parsed.password !== '') parsed.password = '***'
    return parsed.toString()
  } catch {
    return '(a URL that does not parse)'
  }
}

/** The lowest and highest per-round ratio, as `0.88–0.95`. */
export function formatSpread([low, high]: [number, number]): string {
  return `${low.toFixed(2)}–${high.toFixed(2)}`
}

/** Redis server CPU in ms per 1,000 operations: `3.42`, `41.7`, `512`, `0`, `n/a` (not counted). */
export function formatServerCpu(msPerK: number): string {
  if (!Number.isFinite(msPerK)) return 'n/a'
  if (Math.abs(msPerK) < 0.005) return '0'
  if (msPerK >= 100) return msPerK.toFixed(0)
  return msPerK >= 10 ? msPerK.toFixed(1) : msPerK.toFixed(2)
}

/** Redis commands per operation, as counted on the server: `0`, `1`, `0.01`, `n/a`. */
export function formatCommands(perOp: number): string {
  if (!Number.isFinite(perOp)) return 'n/a'
  if (Math.abs(perOp) < 0.005) return '0'
  return perOp >= 10 ? perOp.toFixed(0) : perOp.toFixed(2).replace(/\.?0+$/, '')
}
