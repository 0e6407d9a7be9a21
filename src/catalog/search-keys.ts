/**
 * Search keys, computed once when a product or category is written (never per request).
 *
 * A title is read as tokens: each Han character is one token (its tone-less pinyin and initial
 * come from pinyin-pro, which reads the whole title so polyphones follow their context), each run
 * of letters or digits is one token, and spaces and punctuation only separate. From every token
 * start we read five alphabets to the end of the title and store every prefix up to a cap:
 *
 *   text      小米电视ea55…   (Han and mixed titles: 电, 电视, 55英寸, mate60)
 *   pinyin    xiaomidianshi…  (full tone-less pinyin, spaces optional: dians, xiaomid)
 *   initials  xmdse…          (xmds, ds)
 *   T9        #9426…, #9637…  (keypad digits of pinyin and of initials, namespaced by '#')
 *
 * A query longer than its alphabet's cap is looked up by its capped prefix and filtered with
 * `instr(search_text, query)` (see docs/catalog.md for why the caps are where they are).
 */

export const T9_MARK = '#'

/** Longest key stored, per alphabet, from the title start and from any later token start. */
export const KEY_CAPS = {
  start: { text: 8, latin: 12, initials: 8, t9: 12 },
  infix: { text: 3, latin: 5, initials: 3, t9: 5 },
} as const

/** The tier is folded into rank above popularity: title prefix before infix. */
export const TIER = {
  productPrefix: 3,
  categoryPrefix: 2,
  productInfix: 1,
  categoryInfix: 0,
} as const
export type Tier = (typeof TIER)[keyof typeof TIER]

/**
 * rank = tier * SALES_SPAN + min(sales, SALES_SPAN - 1). 2^29 keeps every rank below 2^31, a
 * 4-byte integer in SQLite's record format (2^40 would take 6 bytes on each of millions of rows).
 */
export const SALES_SPAN = 2 ** 29

export function searchRank(tier: number, sales: number): number {
  return tier * SALES_SPAN + Math.min(Math.max(0, Math.trunc(sales)), SALES_SPAN - 1)
}

type Token = { text: string; pinyin: string; initial: string; segment: number }

export type SearchDocument = {
  /** Distinct keys with the highest tier each earned. */
  keys: Array<[key: string, tier: number]>
  /** Every alphabet of every field, space separated, for filtering queries longer than a key. */
  searchText: string
}

const KEYPAD: Record<string, string> = {}
for (const [digit, letters] of Object.entries({
  2: 'abc',
  3: 'def',
  4: 'ghi',
  5: 'jkl',
  6: 'mno',
  7: 'pqrs',
  8: 'tuv',
  9: 'wxyz',
})) {
  for (const letter of letters) KEYPAD[letter] = digit
}

/** Keypad digits of lower-case letters and digits; anything else (Han) has no key and yields null. */
export function toT9(s: string): string | null {
  let out = ''
  for (const ch of s) {
    if (ch >= '0' && ch <= '9') out += ch
    else if (KEYPAD[ch]) out += KEYPAD[ch]
    else return null
  }
  return out
}

/** What both sides of a match agree on: NFKC (full-width → ASCII), lower case, letters and digits only. */
export function normalizeQuery(q: string): string {
  return q
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, '')
}

/**
 * Brand names whose reading pinyin-pro's dictionary gets wrong, so people could not type them:
 * 美的 is Měidì, but pinyin-pro reads 的 as the particle de ("meide"). Applied in tokenize()
 * wherever the word appears, after pinyin-pro. Not pinyin-pro's `customPinyin()`: that changes a
 * dictionary global to the isolate, for every caller, from whichever module called it first.
 * Changing this list changes keys: existing rows are re-keyed when written again (docs/catalog.md).
 */
export const BRAND_READINGS: Readonly<Record<string, readonly string[]>> = {
  美的: ['mei', 'di'],
}

type Pinyin = typeof import('./pinyin')['pinyin']
let pinyin: Pinyin | undefined

/**
 * Loads pinyin-pro (about 570 KB with its dictionary, built when the module is first evaluated).
 * Only writes that key titles need it, so requests that only read never pay for it: the writers
 * (catalog admin, the seed) await this first; a cold isolate starts without it.
 */
export async function loadReadings(): Promise<void> {
  pinyin ??= (await import('./pinyin')).pinyin
}

/** pinyin-pro's reading of each code point of `text`, with BRAND_READINGS laid over it. */
function readings(text: string): Array<{ origin: string; pinyin: string; isZh: boolean }> {
  if (!pinyin) throw new Error('search keys need pinyin-pro: await loadReadings() first')
  const chars = pinyin(text, { type: 'all', toneType: 'none', v: true })
  for (const [word, syllables] of Object.entries(BRAND_READINGS)) {
    for (let at = text.indexOf(word); at !== -1; at = text.indexOf(word, at + word.length)) {
      const first = Array.from(text.slice(0, at)).length
      syllables.forEach((py, i) => {
        const c = chars[first + i]
        if (c) chars[first + i] = { ...c, pinyin: py }
      })
    }
  }
  return chars
}

const HAN = /\p{Script=Han}/u
const ALNUM = /[\p{L}\p{N}]/u

/**
 * Tokens in title order. A space next to Han text starts a new segment (infix keys stay inside a
 * segment); a space between Latin words or digits does not, so `Mate 60` reads as `mate60`.
 */
export function tokenize(text: string): Token[] {
  const normalized = text.normalize('NFKC').toLowerCase()
  const chars = readings(normalized)
  const tokens: Token[] = []
  let run = ''
  let segment = 0
  let spaced = false
  const push = (token: Omit<Token, 'segment'>, han: boolean) => {
    const previous = tokens[tokens.length - 1]
    if (spaced && previous && (han || HAN.test(previous.text))) segment++
    spaced = false
    tokens.push({ ...token, segment })
  }
  const endRun = () => {
    if (run) push({ text: run, pinyin: run, initial: run[0]! }, false)
    run = ''
  }
  for (const c of chars) {
    if (HAN.test(c.origin)) {
      endRun()
      const py = c.isZh && /^[a-z]+$/.test(c.pinyin) ? c.pinyin : ''
      push({ text: c.origin, pinyin: py, initial: py[0] ?? '' }, true)
    } else if (ALNUM.test(c.origin)) {
      run += c.origin
    } else {
      endRun()
      if (/\s/u.test(c.origin)) spaced = true
    }
  }
  endRun()
  return tokens
}

function addPrefixes(keys: Map<string, number>, s: string, cap: number, tier: number, mark = '') {
  const chars = Array.from(s)
  for (let n = 1; n <= Math.min(cap, chars.length); n++) {
    const key = mark + chars.slice(0, n).join('')
    if ((keys.get(key) ?? -1) < tier) keys.set(key, tier)
  }
}

function alphabets(tokens: Token[], from: number) {
  const rest = tokens.slice(from)
  const pinyinText = rest.map((t) => t.pinyin || t.text).join('')
  const initials = rest.map((t) => t.initial || t.text).join('')
  return {
    text: rest.map((t) => t.text).join(''),
    pinyin: pinyinText,
    initials,
    t9Pinyin: toT9(rest.map((t) => t.pinyin).join('')),
    t9Initials: toT9(rest.map((t) => t.initial).join('')),
  }
}

/** T9 strings stop at the first token with no keypad form (a Han char pinyin-pro cannot read). */
function t9Prefix(tokens: Token[], from: number, field: 'pinyin' | 'initial'): string {
  let out = ''
  for (const t of tokens.slice(from)) {
    const d = toT9(t[field])
    if (d === null || t[field] === '') break
    out += d
  }
  return out
}

function indexField(
  keys: Map<string, number>,
  texts: string[],
  field: string,
  prefixTier: number,
  infixTier: number,
) {
  const tokens = tokenize(field)
  for (let i = 0; i < tokens.length; i++) {
    const caps = i === 0 ? KEY_CAPS.start : KEY_CAPS.infix
    const tier = i === 0 ? prefixTier : infixTier
    // Past the title start, a key stays inside its space-separated segment: keys that run from
    // the middle of one phrase into the next ('视ea55') are never typed and would only cost rows.
    const scope =
      i === 0 ? tokens : tokens.filter((t, j) => j < i || t.segment === tokens[i]!.segment)
    const a = alphabets(scope, i)
    addPrefixes(keys, a.text, caps.text, tier)
    addPrefixes(keys, a.pinyin, caps.latin, tier)
    addPrefixes(keys, a.initials, caps.initials, tier)
    addPrefixes(keys, t9Prefix(scope, i, 'pinyin'), caps.t9, tier, T9_MARK)
    addPrefixes(keys, t9Prefix(scope, i, 'initial'), caps.initials, tier, T9_MARK)
    if (i === 0) {
      texts.push(
        a.text,
        a.pinyin,
        a.initials,
        t9Prefix(tokens, 0, 'pinyin'),
        t9Prefix(tokens, 0, 'initial'),
      )
    }
  }
}

/** Keys of a product: its title (prefix and infix tiers) and its brand when the title lacks it. */
export function productSearchDocument(title: string, brand: string): SearchDocument {
  const keys = new Map<string, number>()
  const texts: string[] = []
  indexField(keys, texts, title, TIER.productPrefix, TIER.productInfix)
  if (!normalizeQuery(title).includes(normalizeQuery(brand))) {
    indexField(keys, texts, brand, TIER.productInfix, TIER.productInfix)
  }
  return { keys: [...keys], searchText: texts.filter(Boolean).join(' ') }
}

export function categorySearchDocument(name: string): SearchDocument {
  const keys = new Map<string, number>()
  const texts: string[] = []
  indexField(keys, texts, name, TIER.categoryPrefix, TIER.categoryInfix)
  return { keys: [...keys], searchText: texts.filter(Boolean).join(' ') }
}

export type SearchMode = 'text' | 't9'

/**
 * The key a query is looked up by, and the full string to filter by when the query is longer
 * than any stored key (null when the key alone decides). Returns null for an empty query.
 */
export function queryLookup(
  q: string,
  mode: SearchMode,
): { key: string; filter: string | null } | null {
  const normalized = normalizeQuery(q)
  if (!normalized) return null
  const latin = /^[a-z0-9]+$/.test(normalized)
  const cap = mode === 't9' ? KEY_CAPS.infix.t9 : latin ? KEY_CAPS.infix.latin : KEY_CAPS.infix.text
  const chars = Array.from(normalized)
  const mark = mode === 't9' ? T9_MARK : ''
  if (chars.length <= cap) return { key: mark + normalized, filter: null }
  return { key: mark + chars.slice(0, cap).join(''), filter: normalized }
}
