import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

const root = resolve(import.meta.dirname, '../..')
/** Written before a ```ts block that is deliberately partial: it is not compiled (keep them rare). */
const notCompiled = '<!-- not compiled -->'

interface Snippet {
  /** `file:line` of the opening fence. */
  where: string
  code: string
}

/** The Markdown files of `dir` (relative to the root), as paths from the root. */
function markdownIn(dir: string): string[] {
  return readdirSync(join(root, dir))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `${dir}/${name}`)
}

/** Every ```ts block of README.md, docs/*.md and docs/python/*.md, but those marked `<!-- not compiled -->`. */
function snippets(): Snippet[] {
  const files = ['README.md', ...markdownIn('docs'), ...markdownIn('docs/python')]
  const found: Snippet[] = []
  for (const file of files) {
    const lines = readFileSync(join(root, file), 'utf8').split('\n')
    for (let index = 0; index < lines.length; index++) {
      if (lines[index]?.trim() !== '```ts') continue
      const end = lines.findIndex((line, at) => at > index && line.trim() === '```')
      if (end === -1) throw new Error(`${file}:${index + 1}: a \`\`\`ts block is not closed`)
      if (lines[index - 1]?.trim() !== notCompiled) {
        found.push({ where: `${file}:${index + 1}`, code: lines.slice(index + 1, end).join('\n') })
      }
      index = end
    }
  }
  return found
}

describe('documentation snippets', () => {
  it('every ```ts block of README.md, docs/*.md and docs/python/*.md type-checks under strict and exactOptionalPropertyTypes', () => {
    const found = snippets()
    expect(found.length).toBeGreaterThan(5)
    // Inside node_modules, so that the snippets resolve ioredis and @types/node as a consumer would.
    mkdirSync(join(root, 'node_modules', '.cache'), { recursive: true })
    const dir = mkdtempSync(join(root, 'node_modules', '.cache', 'snippets-'))
    try {
      const files = found.map((snippet, index) => {
        const file = join(dir, `snippet-${index}.mts`)
        // Each snippet is a module of its own (top-level await, no names shared between snippets).
        writeFileSync(file, `// ${snippet.where}\n${snippet.code}\nexport {}\n`)
        return file
      })
      const program = ts.createProgram(files, {
        strict: true,
        exactOptionalPropertyTypes: true,
        noUncheckedIndexedAccess: true,
        target: ts.ScriptTarget.ES2022,
        lib: ['lib.es2024.d.ts', 'lib.esnext.disposable.d.ts'],
        module: ts.ModuleKind.NodeNext,
        moduleResolution: ts.ModuleResolutionKind.NodeNext,
        types: ['node'],
        skipLibCheck: true,
        noEmit: true,
        // The package name, as a consumer imports it, is this repository's source.
        baseUrl: root,
        paths: {
          'flipcache-redis': ['src/index.ts'],
          'flipcache-redis/keyv': ['src/keyv/index.ts'],
          'flipcache-redis/otel': ['src/otel/index.ts'],
        },
      })
      const where = new Map(files.map((file, index) => [file, found[index]?.where]))
      // Only the snippets' own errors: the sources are checked by the project's tsconfig.
      const errors = ts
        .getPreEmitDiagnostics(program)
        .filter((diagnostic) => diagnostic.file === undefined || where.has(diagnostic.file.fileName))
        .map((diagnostic) => {
          const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')
          if (diagnostic.file === undefined || diagnostic.start === undefined) return message
          const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start)
          const [file, fence] = (where.get(diagnostic.file.fileName) ?? '?:0').split(':')
          // Line 1 of the written file is the comment, line 2 the fence's next line.
          return `${file}:${Number(fence) + line}: ${message}`
        })
      expect(errors).toEqual([])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }, 60_000)
})
