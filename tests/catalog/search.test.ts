import { env } from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import { productUpsertSql, toStatements } from '../../src/catalog/product-rows'
import { searchProducts, suggest } from '../../src/catalog/search'
import { newId } from '../../src/lib/ids'
import { call, expectProblem } from '../helpers/http'
import { adminCategories, adminProducts, product, uniq } from './fixtures'
import { recordingEnv } from './recording-db'

const ids: Record<string, string> = {}
const cats: Record<string, string> = {}

async function suggestIds(q: string, extra = '') {
  const res = await call('GET', `/v1/search/suggest?q=${encodeURIComponent(q)}${extra}`)
  expect(res.status, res.text).toBe(200)
  return (res.body.items as Array<{ id: string }>).map((i) => i.id)
}

const name = (id: string) =>
  Object.entries({ ...ids, ...cats }).find(([, v]) => v === id)?.[0] ?? id

beforeAll(async () => {
  const slugs = {
    tv: uniq('tv'),
    oled: uniq('oled'),
    phone: uniq('phone'),
    home: uniq('home'),
    food: uniq('food'),
  }
  const created = await adminCategories([
    { slug: slugs.tv, name: '电视', position: 1 },
    { slug: slugs.oled, name: 'OLED电视', parent_slug: slugs.tv },
    { slug: slugs.phone, name: '手机', position: 2 },
    { slug: slugs.home, name: '家电', position: 3 },
    { slug: slugs.food, name: '生鲜', position: 4 },
  ])
  ;['catTv', 'catOled', 'catPhone', 'catHome', 'catFood'].forEach(
    (k, i) => (cats[k] = created[i]!.id),
  )
  const rows = {
    miTv: product(uniq('mi-tv'), '小米电视 EA55 55英寸 4K超高清智能电视', slugs.tv, {
      sales: 500,
      brand: '小米',
    }),
    skyworth: product(uniq('sky'), '创维 65A3 65英寸 AI语音智能电视', slugs.tv, { sales: 900 }),
    mate: product(uniq('mate'), '华为 Mate 60 Pro 12GB+512GB 雅川青', slugs.phone, { sales: 800 }),
    redmi: product(uniq('redmi'), '小米 Redmi K70 手机', slugs.phone, { sales: 300 }),
    changhong: product(uniq('ch'), '长虹 55D6P 55英寸 液晶电视', slugs.oled, { sales: 100 }),
    stand: product(uniq('stand'), '电视柜 实木 客厅', slugs.home, { sales: 50, brand: '林氏' }),
    fridge: product(uniq('fridge'), '海尔 冰箱 BCD-470 十字对开门', slugs.home, { sales: 200 }),
    cooker: product(uniq('cooker'), '美的 电饭煲 MB-FB40', slugs.home, { sales: 150 }),
    melon: product(uniq('melon'), '西瓜 新鲜 8斤装', slugs.food, { sales: 10, brand: '农场' }),
  }
  const out = await adminProducts(Object.values(rows))
  Object.keys(rows).forEach((k, i) => (ids[k] = out[i]!.id))
})

describe('suggest: what matches', () => {
  it('matches one and two Han characters anywhere in a title, prefix first', async () => {
    const one = (await suggestIds('电')).map(name)
    expect(one.slice(0, 6)).toEqual(['stand', 'catTv', 'skyworth', 'miTv', 'cooker', 'changhong'])
    const two = (await suggestIds('电视')).map(name)
    expect(two.slice(0, 5)).toEqual(['stand', 'catTv', 'skyworth', 'miTv', 'changhong'])
    expect(two).not.toContain('cooker')
  })

  it('matches full tone-less pinyin by prefix, with or without spaces, past the key length too', async () => {
    const expected = ['stand', 'catTv', 'skyworth', 'miTv', 'changhong']
    for (const q of ['dians', 'dianshi', 'dian shi', 'DianShi']) {
      expect((await suggestIds(q)).map(name).slice(0, 5), q).toEqual(expected)
    }
    expect((await suggestIds('xiaomi')).map(name)).toEqual(['miTv', 'redmi'])
    expect((await suggestIds('xiaomid')).map(name)).toEqual(['miTv'])
    expect((await suggestIds('xiaomidianshi')).map(name)).toEqual(['miTv'])
    expect((await suggestIds('chuangwei')).map(name)).toEqual(['skyworth'])
    // 美的 is said Měidì (pinyin-pro alone reads meide): src/catalog/search-keys.ts BRAND_READINGS.
    expect((await suggestIds('meidi')).map(name)).toEqual(['cooker'])
    expect((await suggestIds('63434', '&mode=t9')).map(name)).toContain('cooker')
  })

  it('matches pinyin initials at the start and inside a title', async () => {
    expect((await suggestIds('xmds')).map(name)).toEqual(['miTv'])
    expect((await suggestIds('ds')).map(name).slice(0, 5)).toEqual([
      'stand',
      'catTv',
      'skyworth',
      'miTv',
      'changhong',
    ])
    expect((await suggestIds('bx')).map(name)).toEqual(['fridge'])
  })

  it('matches keypad digits over full pinyin and initials with mode=t9', async () => {
    // Title prefixes first (xiao…, xm…); keypad collisions inside titles follow (箱 xiang and
    // 鲜 xian are 9426… too, 智能 zn is 96).
    const xiao = (await suggestIds('9426', '&mode=t9')).map(name)
    expect(xiao.slice(0, 2)).toEqual(['miTv', 'redmi'])
    expect(xiao).toEqual(expect.arrayContaining(['fridge', 'melon']))
    const xm = (await suggestIds('96', '&mode=t9')).map(name)
    expect(xm.slice(0, 2)).toEqual(['miTv', 'redmi'])
    expect(xm).toContain('skyworth')
    expect(xm).not.toContain('melon')
    expect((await suggestIds('37', '&mode=t9')).map(name).slice(0, 2)).toEqual(['stand', 'catTv'])
    expect((await suggestIds('342674', '&mode=t9')).map(name).slice(0, 3)).toEqual([
      'stand',
      'catTv',
      'skyworth',
    ])
  })

  it('matches mixed-alphabet titles: digits with Han, Latin words with spaces, full-width input', async () => {
    expect(new Set((await suggestIds('55英寸')).map(name))).toEqual(new Set(['miTv', 'changhong']))
    expect((await suggestIds('Mate 60')).map(name)).toEqual(['mate'])
    expect((await suggestIds('ｍａｔｅ')).map(name)).toEqual(['mate'])
    expect((await suggestIds('k70')).map(name)).toEqual(['redmi'])
    expect((await suggestIds('redmi')).map(name)).toEqual(['redmi'])
  })

  it('answers nothing (200) for text that matches nothing or normalizes to nothing', async () => {
    expect(await suggestIds('zzzzqqq')).toEqual([])
    expect(await suggestIds('!!!')).toEqual([])
  })
})

describe('suggest: ranking and shape', () => {
  it('ranks title prefix before infix, then sales', async () => {
    // 创维 (900) outsells 小米电视 (500), but only 小米电视 starts with xiao…; both contain 电视.
    const items = (await suggestIds('电视')).map(name)
    expect(items.indexOf('stand')).toBeLessThan(items.indexOf('skyworth'))
    expect(items.indexOf('skyworth')).toBeLessThan(items.indexOf('miTv'))
    expect(items.indexOf('miTv')).toBeLessThan(items.indexOf('changhong'))
  })

  it('items carry only id, title and kind', async () => {
    const res = await call('GET', '/v1/search/suggest?q=dianshi')
    for (const item of res.body.items) {
      expect(Object.keys(item).sort()).toEqual(['id', 'kind', 'title'])
      expect(['product', 'category']).toContain(item.kind)
    }
    expect(res.body.items.find((i: any) => i.id === cats.catTv)).toEqual({
      id: cats.catTv,
      title: '电视',
      kind: 'category',
    })
  })

  it('honours limit (1-10) and refuses anything else', async () => {
    expect(await suggestIds('电', '&limit=2')).toHaveLength(2)
    for (const bad of ['0', '11', 'x', '-1', '2.5']) {
      expectProblem(
        await call('GET', `/v1/search/suggest?q=a&limit=${bad}`),
        400,
        'validation_failed',
      )
    }
  })

  it('refuses a missing, empty or overlong q, and letters with mode=t9', async () => {
    expectProblem(await call('GET', '/v1/search/suggest'), 400, 'validation_failed')
    expectProblem(await call('GET', '/v1/search/suggest?q='), 400, 'validation_failed')
    expectProblem(
      await call('GET', `/v1/search/suggest?q=${'a'.repeat(65)}`),
      400,
      'validation_failed',
    )
    expectProblem(await call('GET', '/v1/search/suggest?q=xm&mode=t9'), 400, 'validation_failed')
    expectProblem(
      await call('GET', '/v1/search/suggest?q=96&mode=qwerty'),
      400,
      'validation_failed',
    )
  })
})

describe('search: full results', () => {
  it('pages through every match with a keyset cursor, products only, same order as suggest', async () => {
    const seen: string[] = []
    let cursor: string | null = null
    let pages = 0
    do {
      const res: any = await call(
        'GET',
        `/v1/search?q=dianshi&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      )
      expect(res.status, res.text).toBe(200)
      expect(res.body.items.length).toBeLessThanOrEqual(2)
      for (const item of res.body.items) expect(item.price.currency).toBe('CNY')
      seen.push(...res.body.items.map((i: any) => name(i.id)))
      cursor = res.body.next_cursor
      pages++
    } while (cursor && pages < 20)
    expect(seen).toEqual(['stand', 'skyworth', 'miTv', 'changhong'])
  })

  it('matches T9 like suggest does', async () => {
    const res = await call('GET', '/v1/search?q=96&mode=t9')
    expect(res.body.items.map((i: any) => name(i.id))).toEqual(['miTv', 'redmi', 'skyworth'])
  })

  it('refuses forged, foreign and malformed cursors with 400 invalid_cursor', async () => {
    const forged = [
      'not-base64!!',
      btoa('{"r":1}'),
      btoa('{"r":"x","t":1}'),
      btoa('{"s":1,"i":"prod_x"}'),
      btoa('[1,2]'),
      btoa('{"r":1,"t":1,"extra":true}'),
      'eyJyIjoxLCJ0IjoxfQ===',
    ]
    for (const cursor of forged) {
      expectProblem(
        await call('GET', `/v1/search?q=dianshi&cursor=${encodeURIComponent(cursor)}`),
        400,
        'invalid_cursor',
      )
    }
  })

  it('refuses a bad limit', async () => {
    for (const bad of ['0', '51', 'abc']) {
      expectProblem(
        await call('GET', `/v1/search?q=dianshi&limit=${bad}`),
        400,
        'validation_failed',
      )
    }
  })
})

describe('search: hostile input never reaches SQL or FTS syntax', () => {
  const hostile = [
    "' OR 1=1 --",
    '"',
    '*',
    'NEAR',
    'NEAR(电视 小米)',
    'dianshi*',
    '"电视" OR "小米"',
    "'; DROP TABLE products; --",
    '%',
    '_',
    '\\',
    'a AND b OR NOT c',
    '电视\u0000',
    '🙂',
    '^$.*+?()[]{}|',
  ]
  it('answers 200 or 400, never 5xx, and leaves the catalog intact', async () => {
    for (const q of hostile) {
      for (const path of ['/v1/search/suggest', '/v1/search']) {
        for (const mode of ['text', 't9']) {
          const res = await call('GET', `${path}?q=${encodeURIComponent(q)}&mode=${mode}`)
          expect(res.status, `${path} ${q} ${mode}: ${res.text}`).toBeLessThan(500)
          if (res.status === 200) expect(Array.isArray(res.body.items)).toBe(true)
          else expect(res.status).toBe(400)
        }
      }
    }
    expect((await suggestIds('电视')).length).toBeGreaterThan(0)
    const count = await env.DB.prepare('SELECT COUNT(*) AS n FROM products').first<{ n: number }>()
    expect(count!.n).toBeGreaterThanOrEqual(9)
  })

  it("' OR 1=1 -- matches only what its letters and digits match (nothing here)", async () => {
    expect(await suggestIds("' OR 1=1 --")).toEqual([])
  })
})

describe('search: costs at scale', () => {
  beforeAll(async () => {
    // 240 more TVs, so a query that read every match would read far more than limit rows.
    const slug = (await env.DB.prepare("SELECT slug FROM categories WHERE name = '电视'").first<{
      slug: string
    }>())!.slug
    const now = Date.now()
    const sqls = Array.from({ length: 240 }, (_, i) =>
      productUpsertSql(
        {
          ...product(uniq('bulk'), `海信 ${40 + (i % 60)}E3 智能电视 第${i}款`, slug),
          brand: '海信',
          sales: i,
        } as any,
        { id: newId('product'), now },
      ),
    ).flat()
    for (let i = 0; i < sqls.length; i += 90)
      await env.DB.batch(toStatements(env.DB, sqls.slice(i, i + 90)))
  })

  it('suggest is one round trip reading at most limit + 10 rows, for Han, pinyin, initials and T9', async () => {
    for (const [q, mode] of [
      ['电视', 'text'],
      ['电', 'text'],
      ['ds', 'text'],
      ['dians', 'text'],
      ['37', 't9'],
      ['haixi', 'text'],
    ] as const) {
      const rec = recordingEnv()
      const { items } = await suggest(rec.env, q, mode, 8)
      expect(items.length, q).toBe(8)
      expect(rec.stats.roundTrips, q).toBe(1)
      expect(rec.stats.rowsRead, q).toBeLessThanOrEqual(8 + 10)
    }
  })

  it('a search page is one round trip reading at most limit + 10 rows', async () => {
    const rec = recordingEnv()
    const page1 = await searchProducts(rec.env, { q: 'dians', mode: 'text', limit: 20 })
    expect(page1.items).toHaveLength(20)
    const page2 = await searchProducts(rec.env, {
      q: 'dians',
      mode: 'text',
      limit: 20,
      cursor: page1.next_cursor!,
    })
    expect(page2.items).toHaveLength(20)
    expect(new Set([...page1.items, ...page2.items].map((i) => i.id)).size).toBe(40)
    expect(rec.stats.roundTrips).toBe(2)
    // Two rows a result (key row + product row) plus the look-ahead row.
    expect(rec.stats.rowsRead).toBeLessThanOrEqual(2 * (2 * 20 + 1) + 2)
  })

  it('a query longer than any key stops at limit hits, and reads a bounded window when hits are rare', async () => {
    const hot = recordingEnv()
    expect((await suggest(hot.env, 'haixin', 'text', 8)).items).toHaveLength(8)
    expect(hot.stats.rowsRead).toBeLessThanOrEqual(8 + 10)
    const rare = recordingEnv()
    expect((await suggest(rare.env, 'haixinzz', 'text', 8)).items).toHaveLength(0)
    expect(rare.stats.rowsRead).toBeGreaterThan(200)
    expect(rare.stats.rowsRead).toBeLessThanOrEqual(2 * 200)
    const rec = recordingEnv()
    const { items } = await suggest(rec.env, '智能电视第', 'text', 8)
    expect(items.length).toBeGreaterThan(0)
    expect(rec.stats.roundTrips).toBe(1)
    expect(rec.stats.rowsRead).toBeLessThanOrEqual(2 * 200)
  })

  it('a suggest response for 10 long titles stays under 2 KB', async () => {
    const res = await call('GET', '/v1/search/suggest?q=%E6%B5%B7%E4%BF%A1&limit=10')
    expect(res.body.items).toHaveLength(10)
    expect(new TextEncoder().encode(res.text).length).toBeLessThan(2048)
  })
})
