import { shelfPrice } from './catalog-price'
import { type CategorySpec, titleOf } from './catalog-types'

const APPLIANCE_SERVICE = ['官方正品，全国联保', '送货入户，免费安装', '以旧换新', '7天无理由退货']

type TvSize = { inch: number; weight: number; yuan: [number, number] }
const TV_SIZES: TvSize[] = [
  { inch: 32, weight: 4, yuan: [699, 1099] },
  { inch: 43, weight: 6, yuan: [999, 1599] },
  { inch: 50, weight: 6, yuan: [1399, 2199] },
  { inch: 55, weight: 12, yuan: [1599, 3299] },
  { inch: 65, weight: 14, yuan: [2299, 5499] },
  { inch: 75, weight: 10, yuan: [3499, 7999] },
  { inch: 85, weight: 6, yuan: [5999, 12999] },
  { inch: 100, weight: 2, yuan: [9999, 29999] },
]

/** `{size}` is the screen size; `#`/`@` become a digit/letter. */
const TV_MODELS: Record<string, string[]> = {
  创维: ['{size}A#D', '{size}G#F Pro', '{size}Q#', '{size}A#F', '{size}P#F'],
  海信: ['{size}E#K', '{size}U#K', '{size}E#N Pro', 'Vidda {size}V#K'],
  TCL: ['{size}T#K', '{size}Q#K', '{size}V#E', '{size}C#K'],
  小米: ['小米电视 Redmi A{size}', '小米电视 S{size} Mini LED', '小米电视 ES Pro {size}'],
  华为: ['华为智慧屏 V5 {size}', '华为智慧屏 S5 Pro {size}', '华为Vision智慧屏4 {size}'],
  长虹: ['{size}D#P', '{size}Q#R Pro', '{size}JD#'],
  海尔: ['LU{size}X#', '{size}R#', '{size}H#'],
  康佳: ['{size}E#', '{size}G#'],
  索尼: ['XR-{size}X9#L', 'KD-{size}X8#L'],
}
const TV_BRAND_WEIGHT: Record<string, number> = {
  创维: 16,
  海信: 16,
  TCL: 16,
  小米: 16,
  华为: 10,
  长虹: 10,
  海尔: 8,
  康佳: 5,
  索尼: 3,
}
const TV_TAGS = [
  '4K超高清',
  '120Hz高刷',
  'Mini LED',
  'QLED量子点',
  '远场语音',
  '全面屏',
  'AI画质',
  'HDMI2.1',
  '杜比视界',
  '一级能效',
  '游戏电视',
  '护眼防蓝光',
  '无线投屏',
]
const TV_PANELS = ['LCD', 'QLED', 'Mini LED', 'OLED']

const tv: CategorySpec = {
  slug: 'tv',
  name: '电视',
  parentSlug: 'appliances',
  weight: 22,
  skuPrefix: 'TV',
  maxSales: 50000,
  plentyStock: 400,
  service: APPLIANCE_SERVICE,
  build(rng) {
    const brand = rng.weighted(Object.keys(TV_MODELS), (b) => TV_BRAND_WEIGHT[b])
    const size = rng.weighted(TV_SIZES, (s) => s.weight)
    const model = rng.pattern(rng.pick(TV_MODELS[brand]).replace('{size}', String(size.inch)))
    const inch = `${size.inch}英寸`
    const tags = rng.sample(TV_TAGS, rng.int(2, 3))
    const panel = tags.includes('Mini LED') ? 'Mini LED' : rng.pick(TV_PANELS)
    const refresh = tags.includes('120Hz高刷') ? '120Hz' : rng.pick(['60Hz', '120Hz', '144Hz'])
    const noun = rng.pick(['液晶平板电视', '智能电视机', '平板电视', '电视机'])
    const memory = rng.pick(['2GB+32GB', '3GB+64GB', '4GB+64GB', '4GB+128GB'])
    return {
      brand,
      title: titleOf(model.startsWith(brand) ? '' : brand, model, inch, ...tags, noun),
      priceFen: shelfPrice(rng, ...size.yuan),
      highlights: [`${size.inch}英寸${panel}屏`, `${refresh}刷新率`, '支持语音遥控与手机投屏'],
      attributes: {
        屏幕尺寸: `${size.inch}英寸`,
        分辨率: size.inch <= 32 ? '1920×1080' : '3840×2160',
        刷新率: refresh,
        面板类型: panel,
        运行内存: memory,
        能效等级: rng.pick(['一级', '二级']),
      },
    }
  },
}

const STB_MODELS: Record<string, string[]> = {
  华为: ['悦盒 EC6110-T', '悦盒 EC6108V9', '海思盒子 Q#'],
  创维: ['盒子 Q+ 4K', '盒子 T2 Max', 'E900V#'],
  小米: ['小米盒子 4S Max', '小米盒子 4C', '小米盒子 S 第二代'],
  当贝: ['当贝盒子 B# Pro', '当贝盒子 3 Max', '当贝盒子 H#'],
  中兴: ['B860AV#.#', 'ZXV10 B866V#'],
  海美迪: ['H# 4K', 'Q5 Plus'],
  天猫: ['天猫魔盒 #Pro', '天猫魔盒 CL#'],
  长虹: ['IHO-#000', '盒子 K#'],
}
const STB_TAGS = [
  '双频WiFi',
  '蓝牙语音遥控',
  '8K解码',
  '2GB+32GB',
  '4GB+64GB',
  'HDR10',
  '无线投屏',
  '家用电视盒子',
  '千兆网口',
]

const setTopBox: CategorySpec = {
  slug: 'set-top-box',
  name: '机顶盒',
  parentSlug: 'appliances',
  weight: 5,
  skuPrefix: 'STB',
  maxSales: 40000,
  plentyStock: 800,
  service: ['官方正品，全国联保', '支持7天无理由退货', '当日发货'],
  build(rng) {
    const brand = rng.pick(Object.keys(STB_MODELS))
    const model = rng.pattern(rng.pick(STB_MODELS[brand]))
    const tags = rng.sample(STB_TAGS, rng.int(2, 3))
    const ram = tags.find((t) => t.includes('GB')) ?? rng.pick(['2GB+16GB', '2GB+32GB'])
    return {
      brand,
      title: titleOf(model.startsWith(brand) ? '' : brand, model, '4K高清网络机顶盒', ...tags),
      priceFen: shelfPrice(rng, 169, 699),
      highlights: ['4K高清解码', `${ram}大存储`, '开机无广告，遥控器即连即用'],
      attributes: { 分辨率: '4K', 存储: ram, 无线: rng.pick(['WiFi 5', 'WiFi 6']) },
    }
  },
}

const FRIDGE_VOLUMES = [
  { litre: 218, yuan: [999, 1799] as [number, number] },
  { litre: 258, yuan: [1299, 2199] as [number, number] },
  { litre: 310, yuan: [1699, 2999] as [number, number] },
  { litre: 406, yuan: [2499, 4499] as [number, number] },
  { litre: 470, yuan: [2999, 5999] as [number, number] },
  { litre: 535, yuan: [3499, 7999] as [number, number] },
  { litre: 616, yuan: [4999, 12999] as [number, number] },
]
const fridge: CategorySpec = {
  slug: 'fridge',
  name: '冰箱',
  parentSlug: 'appliances',
  weight: 5,
  skuPrefix: 'FRG',
  maxSales: 20000,
  plentyStock: 300,
  service: APPLIANCE_SERVICE,
  build(rng) {
    const brand = rng.pick(['海尔', '美的', '容声', '海信', '西门子', 'TCL', '小米', '卡萨帝'])
    const v = rng.pick(FRIDGE_VOLUMES)
    const kind = rng.pick(v.litre < 300 ? ['双门', '三门'] : ['十字对开门', '法式多门', '对开门'])
    const tags = rng.sample(['一级能效', '风冷无霜', '双变频', '母婴空间', '超薄嵌入式'], 2)
    return {
      brand,
      title: titleOf(brand, rng.pattern(`BCD-${v.litre}W@@@#`), `${v.litre}升`, kind, ...tags),
      priceFen: shelfPrice(rng, ...v.yuan),
      highlights: [`${v.litre}升大容量`, kind, tags.join('，')],
      attributes: { 总容积: `${v.litre}升`, 门款式: kind, 能效等级: rng.pick(['一级', '二级']) },
    }
  },
}

const washer: CategorySpec = {
  slug: 'washer',
  name: '洗衣机',
  parentSlug: 'appliances',
  weight: 5,
  skuPrefix: 'WSH',
  maxSales: 20000,
  plentyStock: 300,
  service: APPLIANCE_SERVICE,
  build(rng) {
    const models: Record<string, string> = {
      海尔: 'EG100MATE##S',
      小天鹅: 'TG100V##WMAD',
      美的: 'MG100V##F',
      西门子: 'WG54C3B0HW',
      TCL: 'G100T#-B',
      海信: 'HD100DC##F',
      松下: 'XQG100-N##',
      小米: 'XQG100MJ##',
    }
    const brand = rng.pick(Object.keys(models))
    const kg = rng.pick([8, 10, 10, 12])
    const kind = rng.pick(['滚筒洗衣机', '波轮洗衣机', '洗烘一体机'])
    const tags = rng.sample(['全自动', '一级能效', '变频', '除菌除螨', '超薄', '智能投放'], 2)
    return {
      brand,
      title: titleOf(brand, rng.pattern(models[brand]), `${kg}公斤`, kind, ...tags),
      priceFen: shelfPrice(rng, kg * 100, kg * 500),
      highlights: [`${kg}公斤大容量`, kind, ...tags],
      attributes: { 洗涤容量: `${kg}kg`, 类型: kind, 电机: rng.pick(['直驱变频', '变频']) },
    }
  },
}

const AC_SERIES: Record<string, string[]> = {
  格力: ['云佳', '云锦Ⅱ', '天仪', '京桂'],
  美的: ['酷省电', '风酷', '静新风', '锐云'],
  海尔: ['静悦', '雷神者', '劲爽'],
  奥克斯: ['京裕', '省电侠'],
  TCL: ['小蓝翼', '真省电'],
  小米: ['巨省电', '自然风'],
  海信: ['速冷热', '易省电'],
  长虹: ['熊猫懒', '极客'],
}
const AC_POWER = [
  { label: '大1匹', code: 26, yuan: [1799, 2999] as [number, number], cabinet: false },
  { label: '1.5匹', code: 35, yuan: [2199, 3999] as [number, number], cabinet: false },
  { label: '2匹', code: 50, yuan: [3999, 6999] as [number, number], cabinet: true },
  { label: '3匹', code: 72, yuan: [5499, 9999] as [number, number], cabinet: true },
]
const airConditioner: CategorySpec = {
  slug: 'air-conditioner',
  name: '空调',
  parentSlug: 'appliances',
  weight: 5,
  skuPrefix: 'AC',
  maxSales: 40000,
  plentyStock: 300,
  service: APPLIANCE_SERVICE,
  build(rng) {
    const brand = rng.pick(Object.keys(AC_SERIES))
    const p = rng.pick(AC_POWER)
    const kind = p.cabinet ? '立式柜机' : '壁挂式空调'
    const model = rng.pattern(`KFR-${p.code}${p.cabinet ? 'LW' : 'GW'}/N@@#B1`)
    const tags = rng.sample(['新一级能效', '变频冷暖', '自清洁', '智能WiFi', '防直吹'], 2)
    return {
      brand,
      title: titleOf(brand, rng.pick(AC_SERIES[brand]), p.label, ...tags, kind, model),
      priceFen: shelfPrice(rng, ...p.yuan),
      highlights: [`${p.label}${kind}`, ...tags],
      attributes: { 匹数: p.label, 类型: kind, 能效等级: rng.pick(['新一级', '新三级']) },
    }
  },
}

const waterHeater: CategorySpec = {
  slug: 'water-heater',
  name: '热水器',
  parentSlug: 'appliances',
  weight: 3,
  skuPrefix: 'WH',
  maxSales: 15000,
  plentyStock: 200,
  service: APPLIANCE_SERVICE,
  build(rng) {
    const brand = rng.pick(['海尔', '美的', 'A.O.史密斯', '万和', '万家乐', '能率', '林内'])
    const gas = rng.chance(0.4)
    const size = gas ? rng.pick(['13升', '16升']) : rng.pick(['50升', '60升', '80升'])
    const kind = gas ? '燃气热水器' : '电热水器'
    const tags = rng.sample(['一级能效', '速热', '变频恒温', '镁棒免更换', '智能预约', '零冷水'], 2)
    return {
      brand,
      title: titleOf(brand, rng.pattern(gas ? 'JSQ30-@##' : 'EC60##-@#'), size, kind, ...tags),
      priceFen: shelfPrice(rng, gas ? 1299 : 699, gas ? 4999 : 2999),
      highlights: [size, kind, ...tags],
      attributes: { 容量: size, 类型: kind, 能源: gas ? '天然气' : '电' },
    }
  },
}

const microwave: CategorySpec = {
  slug: 'microwave',
  name: '微波炉',
  parentSlug: 'appliances',
  weight: 2,
  skuPrefix: 'MW',
  maxSales: 15000,
  plentyStock: 300,
  service: APPLIANCE_SERVICE,
  build(rng) {
    const brand = rng.pick(['美的', '格兰仕', '松下', '海尔', '东芝'])
    const litre = rng.pick([20, 23, 25])
    const kind = rng.pick(['微波炉', '微蒸烤一体机', '光波炉'])
    return {
      brand,
      title: titleOf(brand, rng.pattern('M#-L2##@'), `${litre}升`, rng.pick(['转盘式', '']), kind),
      priceFen: shelfPrice(rng, kind === '微波炉' ? 299 : 699, kind === '微波炉' ? 899 : 1999),
      highlights: [`${litre}升`, kind, '智能菜单'],
      attributes: { 容量: `${litre}L`, 类型: kind, 功率: rng.pick(['700W', '800W', '1000W']) },
    }
  },
}

const riceCooker: CategorySpec = {
  slug: 'rice-cooker',
  name: '电饭煲',
  parentSlug: 'appliances',
  weight: 3,
  skuPrefix: 'RC',
  maxSales: 30000,
  plentyStock: 600,
  service: ['官方正品，全国联保', '支持7天无理由退货', '当日发货'],
  build(rng) {
    const brand = rng.pick(['美的', '苏泊尔', '九阳', '小米', '松下', '虎牌', '象印'])
    const litre = rng.pick(['3L', '4L', '5L'])
    const kind = rng.pick(['IH电饭煲', '智能电饭锅', '球釜电饭煲', '低糖电饭煲'])
    const model = brand === '小米' ? rng.pattern('米家电饭煲 C#') : rng.pattern('@@40@@###')
    return {
      brand,
      title: titleOf(brand, model, litre, kind, rng.pick(['家用', '多功能', '24小时预约'])),
      priceFen: shelfPrice(rng, 149, kind === 'IH电饭煲' ? 1599 : 599),
      highlights: [litre, kind, '柴火饭口感'],
      attributes: { 容量: litre, 加热方式: kind.startsWith('IH') ? 'IH电磁加热' : '底盘加热' },
    }
  },
}

/** [brand, model, kind]: a model is one kind of machine. */
const VACUUM_MODELS: Array<[string, string, string]> = [
  ['小米', '米家无线吸尘器 2 Slim', '无线吸尘器'],
  ['小米', '米家扫拖机器人 #S', '扫拖一体机器人'],
  ['追觅', 'V1# Pro', '无线吸尘器'],
  ['追觅', 'X30 Pro', '扫地机器人'],
  ['科沃斯', 'T## OMNI', '扫拖一体机器人'],
  ['石头', 'G20S', '扫地机器人'],
  ['添可', '芙万 #.0', '洗地机'],
  ['戴森', 'V12 Detect Slim', '无线吸尘器'],
  ['美的', 'V#', '无线吸尘器'],
]
const vacuum: CategorySpec = {
  slug: 'vacuum',
  name: '吸尘器',
  parentSlug: 'appliances',
  weight: 2,
  skuPrefix: 'VAC',
  maxSales: 20000,
  plentyStock: 300,
  service: ['官方正品，全国联保', '支持7天无理由退货', '当日发货'],
  build(rng) {
    const [brand, model, kind] = rng.pick(VACUUM_MODELS)
    return {
      brand,
      title: titleOf(brand, rng.pattern(model), kind, rng.pick(['大吸力', '自动集尘', '宠物家庭'])),
      priceFen: shelfPrice(rng, 599, brand === '戴森' ? 5999 : 4599),
      highlights: [kind, '长续航', '多种清洁模式'],
      attributes: { 类型: kind, 续航: `${rng.int(40, 180)}分钟`, 吸力: `${rng.int(8, 25)}000Pa` },
    }
  },
}

const waterPurifier: CategorySpec = {
  slug: 'water-purifier',
  name: '净水器',
  parentSlug: 'appliances',
  weight: 2,
  skuPrefix: 'WP',
  maxSales: 15000,
  plentyStock: 200,
  service: APPLIANCE_SERVICE,
  build(rng) {
    const brand = rng.pick(['美的', '小米', '安吉尔', '沁园', 'A.O.史密斯', '海尔'])
    const flux = rng.pick([600, 800, 1000, 1200])
    return {
      brand,
      title: titleOf(brand, rng.pattern('@@##-@#'), `${flux}G`, '厨下式净水器'),
      priceFen: shelfPrice(rng, 999, 4999),
      highlights: [`${flux}G大通量`, 'RO反渗透', '滤芯寿命提醒'],
      attributes: { 通量: `${flux}G`, 过滤方式: 'RO反渗透', 安装方式: '厨下式' },
    }
  },
}

export const APPLIANCE_CATEGORIES: CategorySpec[] = [
  tv,
  setTopBox,
  fridge,
  washer,
  airConditioner,
  waterHeater,
  microwave,
  riceCooker,
  vacuum,
  waterPurifier,
]
