import { shelfPrice } from './catalog-price'
import { type CategorySpec, titleOf } from './catalog-types'
import type { Rng } from './prng'

const DIGITAL_SERVICE = ['官方正品，全国联保', '支持7天无理由退货', '当日发货', '分期免息']

/** A named model with its launch price band; the brand prefix is part of how people search. */
type Model = { brand: string; name: string; yuan: [number, number] }

function pickModel(rng: Rng, models: Model[]): Model {
  return rng.pick(models)
}

/** Brand, then model, unless the model name already starts with the brand (小米14). */
function modelTitle(m: Model, ...rest: string[]): string {
  return titleOf(m.name.startsWith(m.brand) ? '' : m.brand, m.name, ...rest)
}

const PHONES: Model[] = [
  { brand: '华为', name: 'Mate 60 Pro', yuan: [5999, 7999] },
  { brand: '华为', name: 'Mate 60', yuan: [4999, 6499] },
  { brand: '华为', name: 'Mate 70', yuan: [5499, 6999] },
  { brand: '华为', name: 'Pura 70 Pro', yuan: [5999, 7499] },
  { brand: '华为', name: 'nova 12', yuan: [2499, 3499] },
  { brand: '华为', name: '畅享 70', yuan: [1199, 1699] },
  { brand: '小米', name: '小米14', yuan: [3999, 4999] },
  { brand: '小米', name: '小米15 Pro', yuan: [5299, 6499] },
  { brand: '小米', name: 'Redmi K70', yuan: [2299, 3299] },
  { brand: '小米', name: 'Redmi Note 13 Pro', yuan: [1399, 1999] },
  { brand: '荣耀', name: 'Magic6', yuan: [4399, 5699] },
  { brand: '荣耀', name: '荣耀90', yuan: [2299, 2999] },
  { brand: '荣耀', name: 'X50', yuan: [1399, 1899] },
  { brand: 'OPPO', name: 'Find X7', yuan: [3999, 5499] },
  { brand: 'OPPO', name: 'Reno11', yuan: [2499, 3199] },
  { brand: 'vivo', name: 'X100', yuan: [3999, 5499] },
  { brand: 'vivo', name: 'iQOO 12', yuan: [3699, 4699] },
  { brand: 'Apple', name: 'iPhone 15', yuan: [5199, 6999] },
  { brand: 'Apple', name: 'iPhone 15 Pro Max', yuan: [8999, 12999] },
]
const PHONE_MEMORY = ['8GB+256GB', '12GB+256GB', '12GB+512GB', '16GB+1TB']
const PHONE_COLORS = ['雅丹黑', '白沙银', '雅川青', '钛金属', '星空蓝', '月光白', '曜石黑']
const PHONE_TAGS = ['5G手机', '长续航', '超级快充', '护眼屏', '拍照手机']
/** Selling points only some makers can claim. */
const PHONE_BRAND_TAGS: Record<string, string[]> = {
  华为: ['卫星通话', '麒麟芯片', '鸿蒙系统'],
  小米: ['徕卡影像', '骁龙8Gen3', '120W快充'],
  荣耀: ['青海湖电池', '骁龙8Gen3'],
  OPPO: ['哈苏影像', '天玑9300'],
  vivo: ['蔡司影像', '蓝心大模型'],
  Apple: ['A17芯片', '灵动岛'],
}

const phone: CategorySpec = {
  slug: 'phone',
  name: '手机',
  parentSlug: 'digital',
  weight: 10,
  skuPrefix: 'PH',
  maxSales: 100000,
  plentyStock: 800,
  service: DIGITAL_SERVICE,
  build(rng) {
    const m = pickModel(rng, PHONES)
    const memIndex = rng.int(0, PHONE_MEMORY.length - 1)
    const color = rng.pick(PHONE_COLORS)
    const tags = [rng.pick(PHONE_BRAND_TAGS[m.brand]), rng.pick(PHONE_TAGS)]
    const [lo, hi] = m.yuan
    const step = (hi - lo) / PHONE_MEMORY.length
    return {
      brand: m.brand,
      title: modelTitle(m, PHONE_MEMORY[memIndex], color, ...tags),
      priceFen: shelfPrice(rng, lo + step * memIndex, lo + step * (memIndex + 1)),
      highlights: [PHONE_MEMORY[memIndex], color, ...tags],
      attributes: {
        机身内存: PHONE_MEMORY[memIndex],
        颜色: color,
        网络: '5G全网通',
        屏幕: `${rng.pick(['6.1', '6.7', '6.82'])}英寸`,
      },
    }
  },
}

const TABLETS: Model[] = [
  { brand: '华为', name: 'MatePad 11.5', yuan: [1599, 2299] },
  { brand: '华为', name: 'MatePad Pro 13.2', yuan: [4999, 6999] },
  { brand: '小米', name: '小米平板6', yuan: [1699, 2399] },
  { brand: '小米', name: '小米平板6S Pro', yuan: [3299, 4299] },
  { brand: '联想', name: '小新Pad Pro 12.7', yuan: [1699, 2299] },
  { brand: '荣耀', name: '荣耀平板9', yuan: [1499, 1999] },
  { brand: 'Apple', name: 'iPad Air 11英寸', yuan: [4799, 6499] },
]
const tablet: CategorySpec = {
  slug: 'tablet',
  name: '平板电脑',
  parentSlug: 'digital',
  weight: 3,
  skuPrefix: 'TAB',
  maxSales: 40000,
  plentyStock: 400,
  service: DIGITAL_SERVICE,
  build(rng) {
    const m = pickModel(rng, TABLETS)
    const mem = rng.pick(['8GB+128GB', '8GB+256GB', '12GB+256GB'])
    const color = rng.pick(['深空灰', '星空灰', '冰霜银', '晴空蓝'])
    return {
      brand: m.brand,
      title: modelTitle(m, mem, 'WiFi版', color, rng.pick(['平板电脑', '学习办公平板'])),
      priceFen: shelfPrice(rng, ...m.yuan),
      highlights: [mem, '高刷护眼屏', '多屏协同'],
      attributes: { 存储: mem, 网络: 'WiFi', 颜色: color },
    }
  },
}

const EARPHONES: Model[] = [
  { brand: '华为', name: 'FreeBuds Pro 3', yuan: [1199, 1499] },
  { brand: '华为', name: 'FreeBuds 5i', yuan: [399, 599] },
  { brand: '小米', name: 'Redmi Buds 5', yuan: [149, 249] },
  { brand: '小米', name: 'Xiaomi Buds 4 Pro', yuan: [699, 1099] },
  { brand: '漫步者', name: 'Lolli Pro 3', yuan: [399, 699] },
  { brand: '索尼', name: 'WH-1000XM5', yuan: [1999, 2999] },
  { brand: '荣耀', name: 'Earbuds X5', yuan: [199, 299] },
]
const earphones: CategorySpec = {
  slug: 'earphones',
  name: '耳机',
  parentSlug: 'digital',
  weight: 3,
  skuPrefix: 'EAR',
  maxSales: 50000,
  plentyStock: 900,
  service: DIGITAL_SERVICE,
  build(rng) {
    const m = pickModel(rng, EARPHONES)
    const tags = rng.sample(['主动降噪', '无线蓝牙耳机', '半入耳式', '长续航', '空间音频'], 2)
    return {
      brand: m.brand,
      title: titleOf(m.brand, m.name, ...tags, rng.pick(['陶瓷白', '星河蓝', '曜石黑'])),
      priceFen: shelfPrice(rng, ...m.yuan),
      highlights: tags,
      attributes: {
        连接方式: '蓝牙5.3',
        续航: `${rng.int(6, 40)}小时`,
        降噪: tags.includes('主动降噪') ? '主动降噪' : '通话降噪',
      },
    }
  },
}

const SPEAKERS: Model[] = [
  { brand: '小米', name: '小爱音箱 Pro', yuan: [299, 399] },
  { brand: '小米', name: 'Xiaomi Sound', yuan: [399, 599] },
  { brand: '天猫', name: '天猫精灵 IN糖5', yuan: [99, 199] },
  { brand: '天猫', name: '天猫精灵 X5', yuan: [299, 499] },
  { brand: '华为', name: 'Sound X', yuan: [1299, 1999] },
  { brand: '小度', name: '小度智能屏 X8', yuan: [399, 699] },
]
const smartSpeaker: CategorySpec = {
  slug: 'smart-speaker',
  name: '智能音箱',
  parentSlug: 'digital',
  weight: 2,
  skuPrefix: 'SPK',
  maxSales: 40000,
  plentyStock: 800,
  service: DIGITAL_SERVICE,
  build(rng) {
    const m = pickModel(rng, SPEAKERS)
    return {
      brand: m.brand,
      title: modelTitle(m, rng.pick(['AI语音助手', '蓝牙音箱', '智能家居']), '白色'),
      priceFen: shelfPrice(rng, ...m.yuan),
      highlights: ['语音控制家电', '高保真音质'],
      attributes: { 连接: 'WiFi / 蓝牙', 语音助手: rng.pick(['小爱同学', '天猫精灵', '小艺']) },
    }
  },
}

const ROUTERS: Model[] = [
  { brand: '小米', name: 'AX3000T', yuan: [139, 199] },
  { brand: '小米', name: 'BE6500 Pro', yuan: [499, 699] },
  { brand: '华为', name: 'AX3 Pro', yuan: [199, 299] },
  { brand: '华为', name: 'BE3 Pro', yuan: [399, 599] },
  { brand: 'TP-LINK', name: 'XDR6088', yuan: [499, 699] },
  { brand: 'TP-LINK', name: 'TL-XDR3010', yuan: [169, 249] },
  { brand: '中兴', name: 'AX5400 Pro+', yuan: [399, 599] },
  { brand: '锐捷', name: '星耀X32', yuan: [199, 299] },
]
const router: CategorySpec = {
  slug: 'router',
  name: '路由器',
  parentSlug: 'digital',
  weight: 2,
  skuPrefix: 'RT',
  maxSales: 30000,
  plentyStock: 800,
  service: DIGITAL_SERVICE,
  build(rng) {
    const m = pickModel(rng, ROUTERS)
    const wifi = m.name.startsWith('BE') ? 'WiFi7' : 'WiFi6'
    const tags = rng.sample(['千兆端口', 'Mesh组网', '双频', '游戏加速', '穿墙王'], 2)
    return {
      brand: m.brand,
      title: titleOf(m.brand, m.name, wifi, ...tags, '无线路由器'),
      priceFen: shelfPrice(rng, ...m.yuan),
      highlights: [wifi, ...tags],
      attributes: { 无线标准: wifi, 网口: '千兆', 频段: '双频' },
    }
  },
}

const WATCHES: Model[] = [
  { brand: '华为', name: 'WATCH GT 4', yuan: [1388, 1988] },
  { brand: '华为', name: 'WATCH 4 Pro', yuan: [2999, 3999] },
  { brand: '华为', name: '手环8', yuan: [239, 349] },
  { brand: '小米', name: '小米手环8 Pro', yuan: [299, 399] },
  { brand: '小米', name: 'Xiaomi Watch S3', yuan: [799, 999] },
  { brand: '荣耀', name: '荣耀手表4', yuan: [799, 999] },
  { brand: 'Apple', name: 'Apple Watch Series 9', yuan: [2999, 3999] },
]
const smartwatch: CategorySpec = {
  slug: 'smartwatch',
  name: '智能手表',
  parentSlug: 'digital',
  weight: 2,
  skuPrefix: 'SW',
  maxSales: 40000,
  plentyStock: 600,
  service: DIGITAL_SERVICE,
  build(rng) {
    const m = pickModel(rng, WATCHES)
    return {
      brand: m.brand,
      title: modelTitle(m, rng.pick(['血氧心率监测', '运动手表', 'eSIM独立通话'])),
      priceFen: shelfPrice(rng, ...m.yuan),
      highlights: ['心率血氧监测', '长续航', '百种运动模式'],
      attributes: { 续航: `${rng.int(7, 14)}天`, 防水: '5ATM', 屏幕: 'AMOLED' },
    }
  },
}

export const DIGITAL_CATEGORIES: CategorySpec[] = [
  phone,
  tablet,
  earphones,
  smartSpeaker,
  router,
  smartwatch,
]
