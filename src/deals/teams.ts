import { z } from '@hono/zod-openapi'
import { ApiError } from '../http/errors'
import { iso } from '../lib/time'
import { TEAM_CODE_ALPHABET, type TeamSchema } from './schemas'
import type { TeamRow } from './store'

const CODE_LENGTH = 6
// Rejection sampling below the largest multiple of the alphabet size under 256: every letter is
// equally likely.
const UNBIASED_LIMIT = 256 - (256 % TEAM_CODE_ALPHABET.length)

/** A fresh team code: 31^6 ≈ 887 million codes; uniqueness is the job of deal_teams_code_uq. */
export function newTeamCode(): string {
  let code = ''
  while (code.length < CODE_LENGTH) {
    for (const byte of crypto.getRandomValues(new Uint8Array(CODE_LENGTH * 2))) {
      if (byte >= UNBIASED_LIMIT || code.length === CODE_LENGTH) continue
      code += TEAM_CODE_ALPHABET[byte % TEAM_CODE_ALPHABET.length]
    }
  }
  return code
}

export function normalizeTeamCode(input: string): string {
  return input.trim().toUpperCase()
}

export async function findTeamByCode(
  d1: D1Database,
  dealId: string,
  code: string,
): Promise<TeamRow> {
  const team = await d1
    .prepare('SELECT * FROM deal_teams WHERE code = ? AND deal_id = ?')
    .bind(normalizeTeamCode(code), dealId)
    .first<TeamRow>()
  if (!team) throw new ApiError('not_found', 'No team with this code in this deal')
  return team
}

/** A team still taking members: forming and not past its window. */
export function teamIsOpen(team: TeamRow, now: number): boolean {
  return team.phase === 'forming' && team.expires_at > now
}

export function teamStatus(team: TeamRow, now: number): 'forming' | 'filled' | 'failed' {
  // Past its window but not yet failed by the cron: it can no longer fill.
  return team.phase === 'forming' && team.expires_at <= now ? 'failed' : team.phase
}

export function toTeamView(team: TeamRow, now: number): z.infer<typeof TeamSchema> {
  return {
    code: team.code,
    size: team.size,
    members: team.members,
    confirmed: team.confirmed,
    status: teamStatus(team, now),
    expires_at: iso(team.expires_at),
  }
}
