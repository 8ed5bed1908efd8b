import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

export const run = promisify(execFile)

/** The repository root. */
export const repoRoot = fileURLToPath(new URL('../../..', import.meta.url))

/** The fields of a package.json the suite reads. */
export interface Manifest {
  name: string
  version: string
  dependencies?: Record<string, string>
  peerDependencies?: Record<string, string>
}

/** A tarball made by `npm pack`, as npm reports it. */
export interface Packed {
  /** Absolute path of the .tgz. */
  tarball: string
  /** Bytes of the .tgz. */
  size: number
  /** Bytes of its files, unpacked. */
  unpackedSize: number
  /** Every file in it, by path inside the package. */
  files: { path: string; size: number }[]
}

/**
 * Builds the package (`npm run build`, which `prepack` runs before a publish) and packs it into `dir`
 * with `npm pack`, so that the suite installs exactly what a publish would upload.
 */
export async function buildAndPack(dir: string): Promise<Packed> {
  const options = { cwd: repoRoot, maxBuffer: 16 * 1024 * 1024 }
  await run('npm', ['run', 'build', '--silent'], options)
  // The build ran just above: --ignore-scripts keeps prepack from running it a second time.
  const { stdout } = await run(
    'npm',
    ['pack', '--json', '--ignore-scripts', '--pack-destination', dir],
    options,
  )
  const [report] = JSON.parse(stdout) as (Omit<Packed, 'tarball'> & { filename: string })[]
  if (report === undefined) throw new Error(`npm pack reported nothing:\n${stdout}`)
  return {
    tarball: join(dir, report.filename),
    size: report.size,
    unpackedSize: report.unpackedSize,
    files: report.files.map(({ path, size }) => ({ path, size })),
  }
}

/** Unpacks `tarball` into `target` (which must not exist yet), as npm would install it there. */
export async function unpack(tarball: string, target: string): Promise<Manifest> {
  const scratch = mkdtempSync(`${target}-unpacking-`)
  try {
    await run('tar', ['-xzf', tarball, '-C', scratch])
    renameSync(join(scratch, 'package'), target)
  } finally {
    rmSync(scratch, { recursive: true, force: true })
  }
  return readManifest(target)
}

export function readManifest(dir: string): Manifest {
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest
}

function parseVersion(text: string): [number, number, number] {
  const match = /^(\d+)\.(\d+)\.(\d+)$/.exec(text.trim())
  if (match === null) throw new Error(`Not a plain x.y.z version: ${text}`)
  return [Number(match[1]), Number(match[2]), Number(match[3])]
}

/**
 * Whether `version` is within `range`, for ranges of caret terms over a major >= 1 joined by `||`
 * (`^5.9.0 || ^6.0.0`), the only form this package uses; anything else throws rather than guess.
 */
export function satisfiesCaretRange(version: string, range: string): boolean {
  const [major, minor, patch] = parseVersion(version)
  return range.split('||').some((term) => {
    const low = /^\^(\d+\.\d+\.\d+)$/.exec(term.trim())?.[1]
    if (low === undefined) throw new Error(`Only caret terms are supported here, got ${term}`)
    const [lowMajor, lowMinor, lowPatch] = parseVersion(low)
    if (lowMajor === 0) throw new Error(`A caret over major 0 is not supported here, got ${term}`)
    return major === lowMajor && (minor > lowMinor || (minor === lowMinor && patch >= lowPatch))
  })
}
