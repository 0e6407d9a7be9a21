import { DurableObject } from 'cloudflare:workers'
import type { Principal } from '../env'
import { SessionD1, validBookmark } from '../http/d1-session'
import { ApiError, type ErrorCode } from '../http/errors'
import { errorText } from '../lib/d1-errors'
import { newId } from '../lib/ids'
import { newPaymentRow } from '../payments'
import {
  alreadyInTeam,
  alreadyWritten,
  explainRefusal,
  type Grant,
  grantStatements,
  limitExceeded,
  notActive,
  refusedByConstraint,
  soldOut,
  TeamCodeTaken,
  teamClosed,
  teamFull,
} from './grants'
import { type DealRow, isJoinable, type TeamRow } from './store'
import { newTeamCode, normalizeTeamCode, teamIsOpen } from './teams'

/**
 * One instance per deal (idFromName(dealId)): the deal's live counters, so a flash sale's joins
 * are decided here, one at a time and in memory, instead of by thousands of D1 batches racing
 * for the deal's row. See docs/deals.md, "Hot deals on a Durable Object".
 *
 * A join is decided against the counters (units taken, units per person, places per team), the
 * grant and the new counters are written to this object's SQLite storage, and the grant joins
 * the next group commit: every grant waiting while a D1 batch is in flight goes into the next
 * one (grantStatements: one statement per table whatever their number). The join is answered
 * after its group committed, so the participation and the payment the TV shows are in D1 before
 * the phone can confirm them.
 *
 * - Crash-safe: a grant is in this object's storage before anything else happens (and before
 *   any answer leaves: the output gate); a grant whose D1 write failed or never got an answer
 *   stays pending and an alarm writes it later. Writing a grant that is already in D1 fails on
 *   its primary key and writes nothing, so it lands exactly once.
 * - D1 stays the system of record: its CHECKs see every batch. A batch they refuse (this object
 *   did not know of an admin edit or the cron's close) is split into single grants; each refused
 *   one is undone here and explained (409), the deal is re-read.
 * - Read-your-writes: the object writes through its own D1 session at the primary and answers
 *   the bookmark it reached, which the join's request makes its own (x-d1-bookmark): a TV that
 *   sends it back reads its place and payment on any replica.
 * - One payment.requested per place: only the first answer a place is delivered in says
 *   `announce` (a retry with the same Idempotency-Key, or a second device of the household with
 *   the same key, gets the same place without a second push to the phones).
 * - Units come back when D1 releases a place (payment expired, canceled, deal or team failed):
 *   the deals purpose tells this object after the commit (released()), and the alarm compares
 *   D1's counters with these and re-reads released places if a notice was lost.
 */

export type JoinRequest = {
  principal: Principal
  quantity: number
  teamCode?: string
  idempotencyKey?: string
  now: number
}

export type GrantedJoin = { grant: Grant; team: TeamRow | null }

export type JoinOutcome =
  | {
      ok: true
      joined: GrantedJoin
      /** D1 is at least this fresh for the place (null only if D1 never reported one). */
      bookmark: string | null
      /** First delivery of this place: the caller tells the phones (payment.requested). */
      announce: boolean
    }
  | { ok: false; code: ErrorCode; detail?: string; extra: Record<string, unknown> }

/** Grants per D1 batch: ~6 statements and one JSON parameter per table, whatever the count. */
const MAX_GROUP = 200
/** While grants are pending or the deal runs: reconcile with D1 this often. */
const ALARM_MS = 30_000
const RETRY_MS = 2_000

type Place = {
  id: string
  userId: string
  teamId: string | null
  quantity: number
  key: string | null
  committed: boolean
  /** Its announcement is in storage (written with its group commit, before any answer). */
  announcedStored?: boolean
  grant: Grant
}

type Committed = { ok: true; joined: GrantedJoin }
type Answer = Committed | Extract<JoinOutcome, { ok: false }>
/** `silent`: nobody waits for the answer (the alarm writing a pending grant). */
type Waiting = { place: Place; resolve(outcome: Answer): void; silent?: boolean }

/**
 * Storage: a grant is one row in `places` (all this object has to write for most joins). The
 * counters are derived: units taken are meta `base_taken` plus the places' units, a person's
 * units their `buyers` base plus their places' units. The bases hold what D1 had outside the
 * places this object loaded (units already paid when it first loaded the deal), so they change
 * only on that first load. Layout 1 kept the running totals instead, written at every join.
 */
const STORAGE_LAYOUT = '2'

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS buyers (user_id TEXT PRIMARY KEY, units INTEGER NOT NULL);
  CREATE TABLE IF NOT EXISTS teams (id TEXT PRIMARY KEY, row TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS places (
    id TEXT PRIMARY KEY, user_id TEXT NOT NULL, team_id TEXT, quantity INTEGER NOT NULL,
    key TEXT, committed INTEGER NOT NULL, grant_json TEXT NOT NULL);
  CREATE INDEX IF NOT EXISTS places_pending ON places (committed) WHERE committed = 0;
  CREATE TABLE IF NOT EXISTS announced (id TEXT PRIMARY KEY);
`

export class HotDeal extends DurableObject<Env> {
  private dealId: string | null = null
  private deal: DealRow | null = null
  /** Units in open and paid places: D1's reserved + sold, plus grants not written yet. */
  private taken = 0
  private readonly buyers = new Map<string, number>()
  private readonly teams = new Map<string, TeamRow>()
  private readonly teamsByCode = new Map<string, string>()
  /** Open places this object knows (granted here, or open in D1 when it first loaded). */
  private readonly places = new Map<string, Place>()
  private readonly byKey = new Map<string, Place>()
  /** `${teamId} ${userId}` of every open team place: one place per person per team. */
  private readonly inTeam = new Set<string>()
  /** Answers being worked out, by place: a retry with the same key waits for the same one. */
  private readonly answers = new Map<string, Promise<Answer>>()
  /** Places whose grant was delivered to a join (their payment.requested went out). */
  private readonly announced = new Set<string>()
  /** The latest D1 bookmark this object's writes reached. */
  private bookmark: string | null = null
  private waiting: Waiting[] = []
  private flushing = false
  private readonly sql: SqlStorage

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env)
    this.sql = ctx.storage.sql
    ctx.blockConcurrencyWhile(async () => {
      this.sql.exec(SCHEMA)
      this.loadFromStorage()
    })
  }

  async join(dealId: string, req: JoinRequest): Promise<JoinOutcome> {
    try {
      await this.ensureLoaded(dealId)
      if (!this.deal) return refusal(new ApiError('not_found', 'No such deal'))
      if (req.idempotencyKey) {
        const earlier = this.byKey.get(keyOf(req.principal.userId, req.idempotencyKey))
        if (earlier) return this.deliver(await this.answerFor(earlier))
      }
      const place = await this.decide(req)
      return this.deliver(await this.commitSoon(place))
    } catch (err) {
      if (err instanceof ApiError) return refusal(err)
      throw err
    }
  }

  /** D1 released these places (payment expired, canceled, deal or team failed): units back. */
  async released(dealId: string, participationIds: string[]): Promise<number> {
    await this.ensureLoaded(dealId)
    let n = 0
    for (const id of participationIds) {
      const place = this.places.get(id)
      if (!place) continue
      // D1 released it, so D1 had it: written, whatever this object last heard.
      this.markCommitted(place, false)
      this.giveBack(place)
      n++
    }
    return n
  }

  /** The deal row changed in D1 (an admin edit): read it again. */
  async refresh(dealId: string): Promise<void> {
    await this.ensureLoaded(dealId)
    await this.rereadDeal()
  }

  /** Counters as this object sees them (tests, diagnostics). */
  async counters(dealId: string) {
    await this.ensureLoaded(dealId)
    const pending = [...this.places.values()].filter((p) => !p.committed).length
    const { taken, bookmark } = this
    return { taken, buyers: this.buyers.size, places: this.places.size, pending, bookmark }
  }

  async alarm(): Promise<void> {
    if (!this.dealId) return
    await this.retryPending()
    await this.reconcile()
    await this.rereadDeal()
    const ended = !this.deal || this.deal.phase !== 'open' || this.deal.ends_at <= Date.now()
    const pending = [...this.places.values()].some((p) => !p.committed)
    if (pending) await this.ctx.storage.setAlarm(Date.now() + RETRY_MS)
    else if (!ended) await this.ctx.storage.setAlarm(Date.now() + ALARM_MS)
  }

  // --- deciding --------------------------------------------------------------------------------

  private async decide(req: JoinRequest): Promise<Place> {
    const deal = this.deal!
    const { principal, quantity, now } = req
    if (!isJoinable(deal, now)) throw notActive(deal, now)
    const remaining = deal.stock - this.taken
    if (remaining < quantity) throw soldOut(remaining, quantity)
    if (!Number.isSafeInteger(deal.deal_price * quantity)) {
      throw new ApiError(
        'validation_failed',
        'quantity: the total is more than a payment can hold',
        {
          errors: [{ path: 'quantity', message: 'the total price is too large' }],
        },
      )
    }
    if (deal.mode === 'group' && req.teamCode !== undefined) {
      throw new ApiError('validation_failed', 'team_code: only team deals have teams', {
        errors: [{ path: 'team_code', message: 'only for team deals' }],
      })
    }
    let team: TeamRow | null = null
    if (deal.mode === 'team' && req.teamCode !== undefined) {
      team = await this.teamByCode(req.teamCode)
      if (!teamIsOpen(team, now)) throw teamClosed()
      if (team.members >= team.size) throw teamFull()
      if (this.inTeam.has(`${team.id} ${principal.userId}`)) throw alreadyInTeam()
    }
    if ((this.buyers.get(principal.userId) ?? 0) + quantity > deal.max_per_user) {
      throw limitExceeded(deal.max_per_user)
    }
    return this.grant(req, team)
  }

  private grant(req: JoinRequest, existingTeam: TeamRow | null): Place {
    const deal = this.deal!
    const { principal, quantity, now } = req
    const participationId = newId('participation')
    const payment = newPaymentRow(this.env, {
      purpose: { type: 'deal', id: participationId },
      userId: principal.userId,
      startedBy: principal,
      amount: deal.deal_price * quantity,
      capture: 'manual',
      payee: { kind: 'merchant' },
      now,
    })
    let openedTeam: TeamRow | null = null
    if (deal.mode === 'team' && !existingTeam) {
      openedTeam = {
        id: newId('team'),
        deal_id: deal.id,
        code: this.freshTeamCode(),
        size: deal.team_size!,
        members: 0,
        confirmed: 0,
        phase: 'forming',
        opened_by_user_id: principal.userId,
        opened_at: now,
        expires_at: Math.min(now + deal.team_window_ms!, deal.ends_at),
        filled_at: null,
        closed_at: null,
      }
    }
    const teamId = existingTeam?.id ?? openedTeam?.id ?? null
    const grant: Grant = {
      participation: {
        id: participationId,
        deal_id: deal.id,
        user_id: principal.userId,
        started_by_device_id: principal.kind === 'device' ? principal.deviceId : null,
        team_id: teamId,
        quantity,
        unit_price: deal.deal_price,
        payment_id: payment.id,
        status: 'pending_payment',
        shipping_address: null,
        order_id: null,
        created_at: now,
        updated_at: now,
        confirmed_at: null,
        closed_at: null,
      },
      payment,
      openedTeam,
      quotedPrice: deal.deal_price,
    }
    const place: Place = {
      id: participationId,
      userId: principal.userId,
      teamId,
      quantity,
      key: req.idempotencyKey ? keyOf(principal.userId, req.idempotencyKey) : null,
      committed: false,
      grant,
    }
    if (openedTeam) this.putTeam(openedTeam)
    this.take(place)
    return place
  }

  // --- group commit ----------------------------------------------------------------------------

  private commitSoon(place: Place): Promise<Answer> {
    const working = this.answers.get(place.id)
    if (working) return working
    const answer = new Promise<Answer>((resolve) => this.waiting.push({ place, resolve }))
    this.answers.set(place.id, answer)
    void answer.then(() => this.answers.delete(place.id))
    void this.flush()
    return answer
  }

  private async flush(): Promise<void> {
    if (this.flushing) return
    this.flushing = true
    try {
      await this.scheduleRetry()
      while (this.waiting.length > 0) {
        const group = this.waiting.splice(0, MAX_GROUP)
        await this.commitGroup(group)
      }
    } finally {
      this.flushing = false
    }
  }

  private async commitGroup(group: Waiting[]): Promise<void> {
    const grants = group.map((w) => w.place.grant)
    try {
      await this.writeGrants(grants)
    } catch (err) {
      if (alreadyWritten(err) && group.length === 1) {
        await this.catchUpBookmark()
        this.markCommitted(group[0]!.place, true)
        group[0]!.resolve(await this.answerFor(group[0]!.place))
        return
      }
      if (refusedByConstraint(err) || alreadyWritten(err)) {
        // Someone's grant is refused (or was written before): find out one by one.
        for (const w of group) await this.commitOne(w)
        return
      }
      logFailure('group', this.dealId!, err)
      for (const w of group) w.resolve(unavailable())
      return
    }
    // Every place here is answered to its join right after: its announcement is stored with it.
    this.markAllCommitted(
      group.map((w) => w.place),
      true,
    )
    for (const w of group) w.resolve(this.granted(w.place))
  }

  private async commitOne(w: Waiting, attempt = 0): Promise<void> {
    const { place } = w
    try {
      await this.writeGrants([place.grant])
    } catch (err) {
      if (alreadyWritten(err)) {
        await this.catchUpBookmark()
        this.markCommitted(place, !w.silent)
        w.resolve(this.granted(place))
        return
      }
      if (!refusedByConstraint(err)) {
        logFailure('single', this.dealId!, err)
        w.resolve(unavailable())
        return
      }
      const reason = await explainRefusal(this.env, err, place.grant, this.deal!)
      if (reason instanceof TeamCodeTaken && attempt < 2) {
        this.recode(place)
        return this.commitOne(w, attempt + 1)
      }
      this.undo(place)
      await this.rereadDeal()
      if (place.teamId && !place.grant.openedTeam) await this.rereadTeam(place.teamId)
      w.resolve(reason instanceof ApiError ? refusal(reason) : unavailable())
      if (!(reason instanceof ApiError)) logFailure('refused', this.dealId!, err)
      return
    }
    this.markCommitted(place, !w.silent)
    w.resolve(this.granted(place))
  }

  /**
   * One group commit through a session at the primary: the bookmark it reaches is at least as
   * fresh as these rows (every grant answered so far was written at or before it).
   */
  private async writeGrants(grants: Grant[]): Promise<void> {
    const session = new SessionD1(this.env.DB, 'first-primary')
    try {
      await session.batch(grantStatements({ ...this.env, DB: session }, this.dealId!, grants))
    } finally {
      this.noteBookmark(session.bookmark())
    }
  }

  /** A grant found written by an earlier attempt (its answer lost): where the primary is now. */
  private async catchUpBookmark(): Promise<void> {
    const session = new SessionD1(this.env.DB, 'first-primary')
    try {
      await session.prepare('SELECT 1').first()
      this.noteBookmark(session.bookmark())
    } catch {
      // Best effort: the bookmark answered stays the latest one seen.
    }
  }

  private noteBookmark(bookmark: string | null): void {
    const b = validBookmark(bookmark)
    if (!b || (this.bookmark !== null && b <= this.bookmark)) return
    this.bookmark = b
    this.sql.exec("INSERT OR REPLACE INTO meta (k, v) VALUES ('bookmark', ?)", b)
  }

  /** An earlier join with the same Idempotency-Key: its place, once written. */
  private async answerFor(place: Place): Promise<Answer> {
    if (place.committed) return this.granted(place)
    return this.commitSoon(place)
  }

  private granted(place: Place): Committed {
    const teamId = place.teamId
    const team = teamId ? (this.teams.get(teamId) ?? null) : null
    return { ok: true, joined: { grant: place.grant, team } }
  }

  /** What a join answers: a refusal as it is; a place with the bookmark, announced once. */
  private deliver(answer: Answer): JoinOutcome {
    if (!answer.ok) return answer
    const id = answer.joined.grant.participation.id
    const announce = !this.announced.has(id)
    if (announce) {
      this.announced.add(id)
      if (!this.places.get(id)?.announcedStored) {
        this.sql.exec('INSERT OR IGNORE INTO announced (id) VALUES (?)', id)
      }
    }
    return { ...answer, bookmark: this.bookmark, announce }
  }

  /** Grants left pending by a failed or unanswered batch, or by a restart: written one by one. */
  private async retryPending(): Promise<void> {
    const queued = new Set(this.waiting.map((w) => w.place.id))
    for (const place of [...this.places.values()]) {
      if (place.committed || queued.has(place.id) || this.flushing) continue
      await this.commitOne({ place, resolve: () => undefined, silent: true })
    }
  }

  /**
   * A grant stays pending if the batch fails or this object restarts mid-flight: the alarm
   * writes it later. One alarm at a time; once per group commit, not per join (the grants are
   * in storage already, so one set before the batch covers them all).
   */
  private async scheduleRetry(): Promise<void> {
    if ((await this.ctx.storage.getAlarm()) === null) {
      await this.ctx.storage.setAlarm(Date.now() + RETRY_MS)
    }
  }

  // --- counters and storage --------------------------------------------------------------------

  private take(place: Place): void {
    this.taken += place.quantity
    this.buyers.set(place.userId, (this.buyers.get(place.userId) ?? 0) + place.quantity)
    if (place.teamId) this.bumpTeam(place.teamId, 1)
    this.remember(place)
    const team = place.teamId ? this.teams.get(place.teamId) : undefined
    this.ctx.storage.transactionSync(() => {
      if (team) this.saveTeam(team)
      this.sql.exec(
        `INSERT INTO places (id, user_id, team_id, quantity, key, committed, grant_json)
         VALUES (?, ?, ?, ?, ?, 0, ?)`,
        place.id,
        place.userId,
        place.teamId,
        place.quantity,
        place.key,
        JSON.stringify(place.grant),
      )
    })
  }

  /** A grant D1 refused: as if it had never been made. */
  private undo(place: Place): void {
    this.forget(place)
    if (place.grant.openedTeam) {
      const team = place.grant.openedTeam
      this.teams.delete(team.id)
      this.teamsByCode.delete(team.code)
      this.sql.exec('DELETE FROM teams WHERE id = ?', team.id)
    }
  }

  /** A place D1 released: its units, the person's cap and the team place come back. */
  private giveBack(place: Place): void {
    this.forget(place)
  }

  private forget(place: Place): void {
    this.taken -= place.quantity
    const units = (this.buyers.get(place.userId) ?? 0) - place.quantity
    this.buyers.set(place.userId, Math.max(0, units))
    if (place.teamId) this.bumpTeam(place.teamId, -1)
    this.places.delete(place.id)
    if (place.key) this.byKey.delete(place.key)
    if (place.teamId) this.inTeam.delete(`${place.teamId} ${place.userId}`)
    this.announced.delete(place.id)
    const team = place.teamId ? this.teams.get(place.teamId) : undefined
    this.ctx.storage.transactionSync(() => {
      if (team) this.saveTeam(team)
      this.sql.exec('DELETE FROM places WHERE id = ?', place.id)
      this.sql.exec('DELETE FROM announced WHERE id = ?', place.id)
    })
  }

  private remember(place: Place): void {
    this.places.set(place.id, place)
    if (place.key) this.byKey.set(place.key, place)
    if (place.teamId) this.inTeam.add(`${place.teamId} ${place.userId}`)
  }

  private markCommitted(place: Place, announced: boolean): void {
    this.markAllCommitted([place], announced)
  }

  /**
   * One statement for a whole group commit; with `announced` (each place is answered to its
   * join next), one more that stores their announcements, so an answer writes nothing itself.
   */
  private markAllCommitted(places: Place[], announced: boolean): void {
    const unwritten = places.filter((p) => !p.committed)
    const unannounced = announced
      ? places.filter((p) => !p.announcedStored && !this.announced.has(p.id))
      : []
    for (const p of unwritten) p.committed = true
    for (const p of unannounced) p.announcedStored = true
    if (unwritten.length > 0) {
      this.sql.exec(
        'UPDATE places SET committed = 1 WHERE id IN (SELECT value FROM json_each(?))',
        JSON.stringify(unwritten.map((p) => p.id)),
      )
    }
    if (unannounced.length > 0) {
      this.sql.exec(
        'INSERT OR IGNORE INTO announced (id) SELECT value FROM json_each(?)',
        JSON.stringify(unannounced.map((p) => p.id)),
      )
    }
  }

  /** Units taken and each person's units: the stored bases plus the places held here. */
  private deriveCounters(baseTaken: number, baseUnits: Map<string, number>): void {
    this.taken = baseTaken
    this.buyers.clear()
    for (const [userId, units] of baseUnits) this.buyers.set(userId, units)
    for (const p of this.places.values()) {
      this.taken += p.quantity
      this.buyers.set(p.userId, (this.buyers.get(p.userId) ?? 0) + p.quantity)
    }
  }

  private bumpTeam(teamId: string, by: number): void {
    const team = this.teams.get(teamId)
    if (team) team.members = Math.max(0, team.members + by)
  }

  private putTeam(team: TeamRow): void {
    this.teams.set(team.id, team)
    this.teamsByCode.set(team.code, team.id)
    this.saveTeam(team)
  }

  private saveTeam(team: TeamRow): void {
    this.sql.exec(
      'INSERT OR REPLACE INTO teams (id, row) VALUES (?, ?)',
      team.id,
      JSON.stringify(team),
    )
  }

  private freshTeamCode(): string {
    for (;;) {
      const code = newTeamCode()
      if (!this.teamsByCode.has(code)) return code
    }
  }

  /** D1 already has this team code (another deal's team): draw again for a pending grant. */
  private recode(place: Place): void {
    const team = place.grant.openedTeam!
    this.teamsByCode.delete(team.code)
    team.code = this.freshTeamCode()
    this.teamsByCode.set(team.code, team.id)
    this.saveTeam(team)
    this.sql.exec(
      'UPDATE places SET grant_json = ? WHERE id = ?',
      JSON.stringify(place.grant),
      place.id,
    )
  }

  private async teamByCode(input: string): Promise<TeamRow> {
    const code = normalizeTeamCode(input)
    const known = this.teamsByCode.get(code)
    if (known) return this.teams.get(known)!
    // Not one this object holds (closed before it loaded): D1 says what it is.
    const row = await this.env.DB.prepare('SELECT * FROM deal_teams WHERE code = ? AND deal_id = ?')
      .bind(code, this.dealId)
      .first<TeamRow>()
    if (!row) throw new ApiError('not_found', 'No team with this code in this deal')
    this.putTeam(row)
    return row
  }

  // --- loading and reconciling with D1 ---------------------------------------------------------

  private loadFromStorage(): void {
    const meta = new Map(
      this.sql
        .exec<{ k: string; v: string }>('SELECT k, v FROM meta')
        .toArray()
        .map((r) => [r.k, r.v]),
    )
    if (!meta.has('deal_id')) return
    this.dealId = meta.get('deal_id')!
    this.deal = JSON.parse(meta.get('deal')!) as DealRow
    this.bookmark = meta.get('bookmark') ?? null
    for (const a of this.sql.exec<{ id: string }>('SELECT id FROM announced')) {
      this.announced.add(a.id)
    }
    const baseUnits = new Map<string, number>()
    for (const b of this.sql.exec<{ user_id: string; units: number }>('SELECT * FROM buyers')) {
      baseUnits.set(b.user_id, b.units)
    }
    for (const t of this.sql.exec<{ row: string }>('SELECT row FROM teams')) {
      const team = JSON.parse(t.row) as TeamRow
      this.teams.set(team.id, team)
      this.teamsByCode.set(team.code, team.id)
    }
    type Stored = {
      id: string
      user_id: string
      team_id: string | null
      quantity: number
      key: string | null
      committed: number
      grant_json: string
    }
    for (const p of this.sql.exec<Stored>('SELECT * FROM places')) {
      const place: Place = {
        id: p.id,
        userId: p.user_id,
        teamId: p.team_id,
        quantity: p.quantity,
        key: p.key,
        committed: p.committed === 1,
        grant: JSON.parse(p.grant_json) as Grant,
      }
      if (this.announced.has(place.id)) place.announcedStored = true
      this.remember(place)
    }
    if (meta.get('layout') === STORAGE_LAYOUT) {
      this.deriveCounters(Number(meta.get('base_taken') ?? 0), baseUnits)
    } else {
      // Layout 1 stored the running totals in `taken` and `buyers`.
      this.ctx.storage.transactionSync(() =>
        this.keepTotals(Number(meta.get('taken') ?? 0), baseUnits),
      )
    }
  }

  /**
   * These totals (units taken, units per person) are what the counters say now: stored as
   * bases less the places held here (D1's counters on first load; layout 1's running totals).
   */
  private keepTotals(taken: number, units: Map<string, number>): void {
    let baseTaken = taken
    const baseUnits = new Map(units)
    for (const p of this.places.values()) {
      baseTaken -= p.quantity
      baseUnits.set(p.userId, (baseUnits.get(p.userId) ?? 0) - p.quantity)
    }
    this.sql.exec("DELETE FROM meta WHERE k = 'taken'")
    this.sql.exec("INSERT OR REPLACE INTO meta (k, v) VALUES ('base_taken', ?)", String(baseTaken))
    this.sql.exec("INSERT OR REPLACE INTO meta (k, v) VALUES ('layout', ?)", STORAGE_LAYOUT)
    this.sql.exec('DELETE FROM buyers')
    for (const [userId, units] of baseUnits) {
      if (units !== 0)
        this.sql.exec('INSERT INTO buyers (user_id, units) VALUES (?, ?)', userId, units)
    }
    this.deriveCounters(baseTaken, baseUnits)
  }

  private async ensureLoaded(dealId: string): Promise<void> {
    if (this.dealId === dealId) return
    if (this.dealId !== null) throw new Error(`HotDeal for ${this.dealId} asked about ${dealId}`)
    await this.ctx.blockConcurrencyWhile(() => this.hydrate(dealId))
  }

  /**
   * First use: the deal, the units each person holds, the forming teams and the open places,
   * as D1 has them. A deal nobody joined yet costs one small batch.
   */
  private async hydrate(dealId: string): Promise<void> {
    if (this.dealId === dealId) return
    const d1 = this.env.DB
    const [deal, buyers, teams, places] = await d1.batch<any>([
      d1.prepare('SELECT * FROM deals WHERE id = ?').bind(dealId),
      d1.prepare('SELECT user_id, units FROM deal_buyers WHERE deal_id = ?').bind(dealId),
      d1.prepare(`SELECT * FROM deal_teams WHERE deal_id = ? AND phase = 'forming'`).bind(dealId),
      d1
        .prepare(
          `SELECT * FROM deal_participations
           WHERE deal_id = ? AND status IN ('pending_payment', 'confirmed')`,
        )
        .bind(dealId),
    ])
    const row = deal!.results[0] as DealRow | undefined
    if (!row) return // unknown deal: nothing is stored, the next join asks again
    this.dealId = dealId
    this.deal = row
    const units = new Map<string, number>()
    for (const b of buyers!.results as { user_id: string; units: number }[]) {
      units.set(b.user_id, b.units)
    }
    this.ctx.storage.transactionSync(() => {
      this.sql.exec("INSERT OR REPLACE INTO meta (k, v) VALUES ('deal_id', ?)", dealId)
      this.sql.exec("INSERT OR REPLACE INTO meta (k, v) VALUES ('deal', ?)", JSON.stringify(row))
      for (const t of teams!.results as TeamRow[]) this.putTeam(t)
      for (const p of places!.results as Grant['participation'][]) {
        const place: Place = {
          id: p.id,
          userId: p.user_id,
          teamId: p.team_id,
          quantity: p.quantity,
          key: null,
          committed: true,
          grant: { participation: p, payment: null as never, openedTeam: null, quotedPrice: 0 },
        }
        this.remember(place)
        this.sql.exec(
          `INSERT OR REPLACE INTO places (id, user_id, team_id, quantity, key, committed, grant_json)
           VALUES (?, ?, ?, ?, NULL, 1, ?)`,
          p.id,
          p.user_id,
          p.team_id,
          p.quantity,
          JSON.stringify(place.grant),
        )
      }
      this.keepTotals(row.reserved + row.sold, units)
    })
    await this.ctx.storage.setAlarm(Date.now() + ALARM_MS)
  }

  private async rereadDeal(): Promise<void> {
    const row = await this.env.DB.prepare('SELECT * FROM deals WHERE id = ?')
      .bind(this.dealId)
      .first<DealRow>()
    if (!row) return
    this.deal = row
    this.sql.exec("INSERT OR REPLACE INTO meta (k, v) VALUES ('deal', ?)", JSON.stringify(row))
    // A shortened deal shortens its forming teams (admin.ts does the same in D1).
    for (const team of this.teams.values()) {
      if (team.expires_at > row.ends_at) {
        team.expires_at = row.ends_at
        this.saveTeam(team)
      }
    }
  }

  private async rereadTeam(teamId: string): Promise<void> {
    const row = await this.env.DB.prepare('SELECT * FROM deal_teams WHERE id = ?')
      .bind(teamId)
      .first<TeamRow>()
    if (!row) return
    // Places are counted here (D1 lags by the grants not written yet): keep this count.
    const known = this.teams.get(teamId)
    this.putTeam({ ...row, members: known?.members ?? row.members })
  }

  /**
   * A release notice lost on the way (the object was unreachable after D1 committed) leaves
   * units counted here that D1 gave back. Cheap check: D1's reserved + sold against what this
   * object counts as written; only when they differ are the released places looked up.
   */
  private async reconcile(): Promise<void> {
    if (this.flushing || this.waiting.length > 0) return
    const row = await this.env.DB.prepare('SELECT reserved, sold FROM deals WHERE id = ?')
      .bind(this.dealId)
      .first<{ reserved: number; sold: number }>()
    if (!row) return
    let unwritten = 0
    for (const p of this.places.values()) if (!p.committed) unwritten += p.quantity
    if (row.reserved + row.sold + unwritten >= this.taken) return
    const open = [...this.places.values()].filter((p) => p.committed)
    for (let i = 0; i < open.length; i += 90) {
      const ids = open.slice(i, i + 90).map((p) => p.id)
      const { results } = await this.env.DB.prepare(
        `SELECT id FROM deal_participations
         WHERE id IN (SELECT value FROM json_each(?)) AND status = 'released'`,
      )
        .bind(JSON.stringify(ids))
        .all<{ id: string }>()
      for (const r of results) {
        const place = this.places.get(r.id)
        if (place) this.giveBack(place)
      }
    }
  }
}

/** The deal's Durable Object (one per deal): every join of a deal is decided there. */
export function hotDeal(env: Env, dealId: string) {
  return env.HOT_DEALS.get(env.HOT_DEALS.idFromName(dealId))
}

/** After a write to the deal row outside the object (an admin edit): best effort, the alarm
 *  re-reads the row anyway. */
export async function dealRowChanged(env: Env, dealId: string): Promise<void> {
  try {
    await hotDeal(env, dealId).refresh(dealId)
  } catch (err) {
    const line = { event: 'hot_deal_refresh_failed', deal: dealId, error: errorText(err) }
    console.error(JSON.stringify(line))
  }
}

function keyOf(userId: string, key: string): string {
  return `${userId}\u0000${key}`
}

function refusal(err: ApiError): Extract<JoinOutcome, { ok: false }> {
  return { ok: false, code: err.code, detail: err.detail, extra: err.extra }
}

function unavailable(): Extract<JoinOutcome, { ok: false }> {
  return {
    ok: false,
    code: 'deal_unavailable',
    detail: 'The deal could not record this join just now; try again with the same Idempotency-Key',
    extra: {},
  }
}

function logFailure(stage: string, dealId: string, err: unknown): void {
  const line = { event: 'hot_deal_commit_failed', stage, deal: dealId, error: errorText(err) }
  console.error(JSON.stringify(line))
}
