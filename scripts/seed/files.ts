import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import type { SeedContext, SeedModule } from './modules'
import { renderSql } from './sql'

/** Big enough to keep wrangler start-ups few, small enough to keep each batch's memory sane. */
const FILE_BYTES = 8 * 1024 * 1024

export type SeedFile = { file: string; module: string; units: number; bytes: number }

/**
 * Renders every module's units into numbered SQL files under `dir` (emptied first), a unit never
 * split across two files. Each file runs as one D1 batch, which is atomic.
 */
export function writeSeedFiles(dir: string, modules: SeedModule[], ctx: SeedContext): SeedFile[] {
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  const files: SeedFile[] = []
  for (const module of modules) {
    let parts: string[] = []
    let bytes = 0
    let units = 0
    const flush = () => {
      if (units === 0) return
      const file = path.join(dir, `${String(files.length + 1).padStart(3, '0')}-${module.name}.sql`)
      writeFileSync(file, parts.join('\n') + '\n')
      files.push({ file, module: module.name, units, bytes })
      parts = []
      bytes = 0
      units = 0
    }
    for (const unit of module.units(ctx)) {
      const text = unit.map(renderSql).join('\n')
      if (bytes + text.length > FILE_BYTES) flush()
      parts.push(text)
      bytes += Buffer.byteLength(text)
      units++
    }
    flush()
  }
  return files
}
