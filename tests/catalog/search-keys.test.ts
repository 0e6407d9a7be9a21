import { describe, expect, it } from 'vitest'
import {
  categorySearchDocument,
  KEY_CAPS,
  loadReadings,
  normalizeQuery,
  productSearchDocument,
  queryLookup,
  SALES_SPAN,
  searchRank,
  TIER,
  toT9,
  tokenize,
} from '../../src/catalog/search-keys'

// Key computation needs pinyin-pro loaded (the writers await this; some describes key titles as
// they are collected).
await loadReadings()

const keysOf = (title: string, brand = title.split(' ')[0]!) =>
  new Map(productSearchDocument(title, brand).keys)

describe('tokens', () => {
  it('reads Han characters one by one with context pinyin, Latin and digit runs whole', () => {
    const tokens = tokenize('长虹 55D6P 重庆')
    expect(tokens.map((t) => [t.text, t.pinyin, t.initial])).toEqual([
      ['长', 'chang', 'c'],
      ['虹', 'hong', 'h'],
      ['55d6p', '55d6p', '5'],
      ['重', 'chong', 'c'],
      ['庆', 'qing', 'q'],
    ])
  })

  it('reads brand names as people say them where pinyin-pro guesses wrong: 美的 is meidi', () => {
    expect(tokenize('美的 电饭煲').map((t) => t.pinyin)).toEqual([
      'mei',
      'di',
      'dian',
      'fan',
      'bao',
    ])
    const keys = keysOf('美的 电饭煲 MB-FB40', '美的')
    for (const k of ['meidi', 'meidid', 'md', '#63434', '#63']) expect(keys.has(k), k).toBe(true)
    expect(keys.has('meide')).toBe(false)
    // As a brand beside a title without it, and wherever it appears (not only first).
    expect(new Map(productSearchDocument('电饭煲 4L', '美的').keys).has('meidi')).toBe(true)
    expect(tokenize('家电 美的').map((t) => t.pinyin)).toEqual(['jia', 'dian', 'mei', 'di'])
  })

  it('a space next to Han text starts a segment; a space between Latin words does not', () => {
    const segments = tokenize('华为 Mate 60 Pro 雅川青').map((t) => t.segment)
    expect(segments).toEqual([0, 0, 1, 1, 1, 2, 2, 2])
  })
})

describe('keys of a product', () => {
  const keys = keysOf('小米电视 EA55 55英寸 4K超高清智能电视', '小米')

  it('has every alphabet from the title start, at the prefix tier', () => {
    for (const k of [
      '小',
      '小米电视',
      'x',
      'xiaomi',
      'xiaomidiansh',
      'xm',
      'xmds',
      '#9426',
      '#96',
      '#9637',
    ]) {
      expect(keys.get(k), k).toBe(TIER.productPrefix)
    }
  })

  it('has infix keys from every token start, capped, at the infix tier', () => {
    for (const k of [
      '电',
      '电视',
      'd',
      'dians',
      'ds',
      '#3426',
      '#37',
      '55英',
      'ea55',
      'zhi',
      'zn',
      '超高清',
    ]) {
      expect(keys.get(k), k).toBe(TIER.productInfix)
    }
    expect(keys.has('dianshi')).toBe(false)
    expect(keys.has('超高清智')).toBe(false)
  })

  it('keeps infix keys inside their segment: nothing runs from 电视 into EA55', () => {
    expect(keys.has('视e')).toBe(false)
    expect(keys.has('shiea')).toBe(false)
    expect(
      [...keys.keys()].every((k) => Array.from(k.replace('#', '')).length <= KEY_CAPS.start.latin),
    ).toBe(true)
  })

  it('indexes the brand when the title does not contain it', () => {
    const withBrand = keysOf('Redmi K70 手机', '小米')
    expect(withBrand.get('xiaomi')).toBe(TIER.productInfix)
    expect(keysOf('小米 Redmi K70', '小米').get('xiaomi')).toBe(TIER.productPrefix)
  })

  it('categories rank at their own tiers', () => {
    const cat = new Map(categorySearchDocument('OLED电视').keys)
    expect(cat.get('oled')).toBe(TIER.categoryPrefix)
    expect(cat.get('ds')).toBe(TIER.categoryInfix)
  })

  it('search text holds every alphabet for filtering longer queries', () => {
    const { searchText } = productSearchDocument('小米电视 EA55', '小米')
    expect(searchText).toContain('小米电视ea55')
    expect(searchText).toContain('xiaomidianshiea55')
    expect(searchText).toContain('xmdse')
    expect(searchText).toContain('94266434267')
  })
})

describe('queries', () => {
  it('normalizes width, case, spaces and punctuation the way keys were written', () => {
    expect(normalizeQuery(' Mate 60 ')).toBe('mate60')
    expect(normalizeQuery('ｍａｔｅ６０')).toBe('mate60')
    expect(normalizeQuery("' OR 1=1 --")).toBe('or11')
    expect(normalizeQuery('"*NEAR()"')).toBe('near')
  })

  it('looks short queries up by key alone and longer ones by capped key plus filter', () => {
    expect(queryLookup('电视', 'text')).toEqual({ key: '电视', filter: null })
    expect(queryLookup('小米电视', 'text')).toEqual({ key: '小米电', filter: '小米电视' })
    expect(queryLookup('dians', 'text')).toEqual({ key: 'dians', filter: null })
    expect(queryLookup('dianshi', 'text')).toEqual({ key: 'dians', filter: 'dianshi' })
    expect(queryLookup('9426', 't9')).toEqual({ key: '#9426', filter: null })
    expect(queryLookup('942664', 't9')).toEqual({ key: '#94266', filter: '942664' })
    expect(queryLookup('--', 'text')).toBeNull()
  })

  it('maps letters to keypad digits', () => {
    expect(toT9('xiaomi')).toBe('942664')
    expect(toT9('lv')).toBe('58')
    expect(toT9('55')).toBe('55')
    expect(toT9('电')).toBeNull()
  })

  it('folds tier above sales into a 4-byte rank', () => {
    expect(searchRank(TIER.productPrefix, 0)).toBeGreaterThan(
      searchRank(TIER.categoryPrefix, SALES_SPAN * 10),
    )
    expect(searchRank(TIER.productPrefix, Number.MAX_SAFE_INTEGER)).toBe(2 ** 31 - 1)
    expect(searchRank(TIER.productInfix, -5)).toBe(SALES_SPAN)
  })
})
