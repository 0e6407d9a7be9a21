import { shelfPrice } from './catalog-price'
import { type CategorySpec, titleOf } from './catalog-types'
import type { Rng } from './prng'

const GROCERY_SERVICE = ['产地直发，新鲜日期', '整箱发货，破损包赔', '次日达', '坏单包赔']
const HOUSEHOLD_SERVICE = ['官方正品', '整箱发货', '次日达', '囤货更划算']

/** [pack label, min yuan, max yuan] */
type Pack = [string, number, number]
/** One branded product line and the packs it is sold in. */
type Line = {
  brand: string
  name: string
  packs: Pack[]
  attrs?: Record<string, string>
  /** Words that suit this line better than the category's general ones. */
  tags?: readonly string[]
}

const PROMOS = ['', '', '', '整箱装', '家庭装', '量贩装', '新品', '年货节', '囤货装']

/** A builder over branded lines: variety comes from packs and promo words, as on a real shelf. */
function linesBuilder(lines: Line[], extraTags: readonly string[]) {
  return (rng: Rng) => {
    const line = rng.pick(lines)
    const [pack, lo, hi] = rng.pick(line.packs)
    const promo = rng.pick(PROMOS)
    const tag = rng.chance(0.5) ? rng.pick(line.tags ?? extraTags) : ''
    return {
      brand: line.brand,
      title: titleOf(line.brand, line.name, pack, tag, promo),
      priceFen: shelfPrice(rng, lo, hi),
      highlights: [line.name, pack, tag].filter(Boolean),
      attributes: { 规格: pack, ...line.attrs },
    }
  }
}

const RICE_TAGS = ['当季新米', '东北大米', '香软可口']

const grainOil: CategorySpec = {
  slug: 'grain-oil',
  name: '粮油',
  parentSlug: 'groceries',
  weight: 4,
  skuPrefix: 'GO',
  maxSales: 40000,
  plentyStock: 3000,
  service: GROCERY_SERVICE,
  build: linesBuilder(
    [
      {
        brand: '金龙鱼',
        name: '黄金比例食用植物调和油',
        packs: [
          ['5L', 59, 79],
          ['1.8L', 25, 35],
          ['5L*2桶', 115, 149],
        ],
      },
      {
        brand: '金龙鱼',
        name: '东北大米 长粒香',
        packs: [
          ['5kg', 35, 49],
          ['10kg', 65, 89],
        ],
        tags: RICE_TAGS,
      },
      {
        brand: '福临门',
        name: '非转基因大豆油',
        packs: [
          ['5L', 55, 69],
          ['4L', 45, 59],
        ],
      },
      {
        brand: '福临门',
        name: '五常稻花香大米',
        packs: [
          ['5kg', 59, 89],
          ['10kg', 109, 159],
        ],
        tags: RICE_TAGS,
      },
      {
        brand: '鲁花',
        name: '5S压榨一级花生油',
        packs: [
          ['5L', 139, 179],
          ['4L', 119, 149],
          ['1.8L', 55, 69],
        ],
      },
      {
        brand: '十月稻田',
        name: '五常大米 稻花香2号',
        packs: [
          ['5kg', 59, 99],
          ['2.5kg', 35, 49],
        ],
        tags: RICE_TAGS,
      },
      {
        brand: '中粮',
        name: '香雪 高筋小麦粉',
        packs: [
          ['5kg', 29, 39],
          ['2.5kg', 16, 22],
        ],
        tags: ['高筋', '包子饺子粉', '家用'],
      },
      {
        brand: '胡姬花',
        name: '古法小榨花生油',
        packs: [
          ['4L', 129, 169],
          ['5.436L', 159, 199],
        ],
      },
      { brand: '柴火大院', name: '东北长粒香大米', packs: [['5kg', 39, 59]], tags: RICE_TAGS },
      { brand: '香满园', name: '玉米油 非转基因压榨', packs: [['5L', 55, 75]] },
    ],
    ['非转基因', '新米', '一级', '物理压榨'],
  ),
}

const snacks: CategorySpec = {
  slug: 'snacks',
  name: '零食',
  parentSlug: 'groceries',
  weight: 5,
  skuPrefix: 'SN',
  maxSales: 50000,
  plentyStock: 5000,
  service: GROCERY_SERVICE,
  build: linesBuilder(
    [
      {
        brand: '三只松鼠',
        name: '每日坚果',
        packs: [
          ['750g/30袋', 79, 119],
          ['375g/15袋', 45, 59],
        ],
      },
      {
        brand: '三只松鼠',
        name: '夏威夷果 奶油味',
        packs: [
          ['500g', 39, 59],
          ['160g*3袋', 45, 69],
        ],
      },
      {
        brand: '良品铺子',
        name: '猪肉脯 原味',
        packs: [
          ['200g', 29, 39],
          ['500g', 59, 79],
        ],
      },
      {
        brand: '良品铺子',
        name: '蛋黄酥',
        packs: [
          ['6枚装', 25, 35],
          ['12枚装', 45, 59],
        ],
      },
      { brand: '百草味', name: '混合果干', packs: [['500g', 29, 45]] },
      {
        brand: '旺旺',
        name: '雪饼',
        packs: [
          ['520g', 19, 29],
          ['1000g', 35, 49],
        ],
      },
      { brand: '卫龙', name: '大面筋辣条', packs: [['106g*10袋', 25, 35]] },
      {
        brand: '乐事',
        name: '原味薯片',
        packs: [
          ['70g*6袋', 25, 35],
          ['135g*3袋', 25, 32],
        ],
      },
      {
        brand: '奥利奥',
        name: '夹心饼干 原味',
        packs: [
          ['388g', 19, 25],
          ['97g*10包', 39, 55],
        ],
      },
      { brand: '徐福记', name: '酥心糖', packs: [['500g', 29, 39]] },
      { brand: '洽洽', name: '香瓜子', packs: [['308g*3袋', 29, 39]] },
      { brand: '小米', name: '有品 每日坚果 混合装', packs: [['750g', 69, 99]] },
    ],
    ['休闲零食', '办公室零食', '儿童零食', '下午茶'],
  ),
}

const drinks: CategorySpec = {
  slug: 'drinks',
  name: '饮料',
  parentSlug: 'groceries',
  weight: 5,
  skuPrefix: 'DR',
  maxSales: 60000,
  plentyStock: 5000,
  service: GROCERY_SERVICE,
  build: linesBuilder(
    [
      {
        brand: '农夫山泉',
        name: '饮用天然水',
        packs: [
          ['550ml*24瓶', 25, 35],
          ['1.5L*12瓶', 25, 35],
        ],
      },
      { brand: '农夫山泉', name: '东方树叶 茉莉花茶', packs: [['500ml*15瓶', 55, 69]] },
      {
        brand: '可口可乐',
        name: '可口可乐 汽水',
        packs: [
          ['330ml*24罐', 45, 59],
          ['500ml*24瓶', 59, 75],
        ],
      },
      { brand: '可口可乐', name: '雪碧 柠檬味汽水', packs: [['330ml*24罐', 45, 59]] },
      { brand: '元气森林', name: '白桃味苏打气泡水', packs: [['480ml*15瓶', 59, 79]] },
      { brand: '元气森林', name: '外星人电解质水', packs: [['500ml*15瓶', 69, 89]] },
      { brand: '康师傅', name: '冰红茶', packs: [['500ml*15瓶', 35, 45]] },
      { brand: '怡宝', name: '纯净水', packs: [['555ml*24瓶', 25, 35]] },
      { brand: '王老吉', name: '凉茶', packs: [['310ml*24罐', 59, 79]] },
      { brand: '百事', name: '百事可乐 无糖', packs: [['330ml*24罐', 45, 59]] },
      { brand: '红牛', name: '维生素功能饮料', packs: [['250ml*24罐', 109, 139]] },
      { brand: '统一', name: '阿萨姆奶茶', packs: [['500ml*15瓶', 49, 65]] },
    ],
    ['0糖0脂', '冰镇更好喝', '聚会必备', '整箱批发'],
  ),
}

const dairy: CategorySpec = {
  slug: 'dairy',
  name: '乳品',
  parentSlug: 'groceries',
  weight: 3,
  skuPrefix: 'DA',
  maxSales: 50000,
  plentyStock: 3000,
  service: GROCERY_SERVICE,
  build: linesBuilder(
    [
      {
        brand: '伊利',
        name: '金典 纯牛奶',
        packs: [
          ['250ml*12盒', 49, 65],
          ['250ml*16盒', 59, 79],
        ],
      },
      { brand: '伊利', name: '安慕希 希腊风味酸奶', packs: [['205g*12盒', 49, 65]] },
      {
        brand: '蒙牛',
        name: '特仑苏 纯牛奶',
        packs: [
          ['250ml*16盒', 59, 79],
          ['250ml*12盒', 49, 65],
        ],
      },
      { brand: '蒙牛', name: '纯甄 风味酸奶', packs: [['200g*24盒', 69, 89]] },
      { brand: '光明', name: '莫斯利安 酸奶', packs: [['200g*12盒', 45, 59]] },
      { brand: '君乐宝', name: '简醇 0添加蔗糖酸奶', packs: [['150g*10袋', 35, 49]] },
      { brand: '三元', name: '极致 有机纯牛奶', packs: [['250ml*12盒', 59, 79]] },
      { brand: '旺仔', name: '牛奶 原味', packs: [['245ml*12罐', 49, 65]] },
    ],
    ['早餐奶', '高钙', '3.6g乳蛋白', '学生奶'],
  ),
}

const tea: CategorySpec = {
  slug: 'tea',
  name: '茶叶',
  parentSlug: 'groceries',
  weight: 2,
  skuPrefix: 'TEA',
  maxSales: 20000,
  plentyStock: 1000,
  service: GROCERY_SERVICE,
  build: linesBuilder(
    [
      {
        brand: '西湖牌',
        name: '明前特级 西湖龙井',
        packs: [
          ['250g', 399, 899],
          ['100g', 199, 399],
        ],
        attrs: { 茶类: '绿茶' },
      },
      {
        brand: '八马',
        name: '安溪铁观音 浓香型',
        packs: [['252g', 199, 399]],
        attrs: { 茶类: '乌龙茶' },
      },
      { brand: '立顿', name: '黄牌精选红茶', packs: [['100包', 39, 59]], attrs: { 茶类: '红茶' } },
      {
        brand: '大益',
        name: '7572 普洱熟茶',
        packs: [['357g', 129, 199]],
        attrs: { 茶类: '普洱' },
      },
      { brand: '吴裕泰', name: '茉莉花茶', packs: [['200g', 59, 129]], attrs: { 茶类: '花茶' } },
      {
        brand: '小罐茶',
        name: '多泡装 大红袍',
        packs: [['40g', 199, 299]],
        attrs: { 茶类: '岩茶' },
      },
      {
        brand: '竹叶青',
        name: '峨眉高山绿茶',
        packs: [['120g', 199, 399]],
        attrs: { 茶类: '绿茶' },
      },
    ],
    ['2025新茶', '礼盒装', '口粮茶', '送礼佳品'],
  ),
}

const tissue: CategorySpec = {
  slug: 'tissue',
  name: '纸品',
  parentSlug: 'household',
  weight: 2,
  skuPrefix: 'TIS',
  maxSales: 40000,
  plentyStock: 5000,
  service: HOUSEHOLD_SERVICE,
  build: linesBuilder(
    [
      {
        brand: '维达',
        name: '超韧抽纸 3层100抽',
        packs: [
          ['24包', 45, 59],
          ['6包', 12, 19],
        ],
      },
      { brand: '维达', name: '有芯卷纸 4层180g', packs: [['27卷', 49, 69]] },
      { brand: '清风', name: '原木纯品 抽纸', packs: [['24包', 39, 55]] },
      { brand: '心相印', name: '茶语丝享 抽纸', packs: [['24包', 45, 59]] },
      { brand: '洁柔', name: 'Face 可湿水抽纸', packs: [['18包', 39, 55]] },
      { brand: '得宝', name: 'Tempo 纸手帕', packs: [['36包', 25, 35]] },
    ],
    ['母婴可用', '无香', '加厚'],
  ),
}

const personalCare: CategorySpec = {
  slug: 'personal-care',
  name: '个人护理',
  parentSlug: 'household',
  weight: 2,
  skuPrefix: 'PC',
  maxSales: 30000,
  plentyStock: 3000,
  service: HOUSEHOLD_SERVICE,
  build: linesBuilder(
    [
      {
        brand: '海飞丝',
        name: '去屑洗发水 清爽型',
        packs: [
          ['750ml', 59, 89],
          ['400ml*2瓶', 69, 99],
        ],
      },
      { brand: '潘婷', name: '氨基酸修护洗发水', packs: [['750ml', 55, 79]] },
      { brand: '舒肤佳', name: '纯白清香沐浴露', packs: [['1L', 39, 59]] },
      { brand: '云南白药', name: '牙膏 留兰香型', packs: [['180g*3支', 69, 99]] },
      { brand: '高露洁', name: '全面防蛀牙膏', packs: [['140g*4支', 29, 45]] },
      { brand: '多芬', name: '深层滋润沐浴乳', packs: [['730g', 45, 65]] },
      { brand: '大宝', name: 'SOD蜜', packs: [['200ml*2瓶', 25, 39]] },
    ],
    ['家庭装', '男女通用', '温和'],
  ),
}

const cleaning: CategorySpec = {
  slug: 'cleaning',
  name: '清洁用品',
  parentSlug: 'household',
  weight: 2,
  skuPrefix: 'CL',
  maxSales: 30000,
  plentyStock: 3000,
  service: HOUSEHOLD_SERVICE,
  build: linesBuilder(
    [
      {
        brand: '蓝月亮',
        name: '深层洁净洗衣液',
        packs: [
          ['3kg', 45, 65],
          ['3kg*2瓶', 79, 109],
        ],
      },
      { brand: '立白', name: '天然洗衣粉', packs: [['2.25kg', 25, 39]] },
      { brand: '汰渍', name: '洁净薰香洗衣液', packs: [['3kg', 49, 69]] },
      { brand: '奥妙', name: '酵素洗衣凝珠', packs: [['52颗', 49, 69]] },
      { brand: '威露士', name: '衣物除菌液', packs: [['1L', 39, 59]] },
      { brand: '滴露', name: '消毒液', packs: [['1.2L', 49, 69]] },
      { brand: '雕牌', name: '超效洗洁精', packs: [['1.5kg*2瓶', 19, 29]] },
    ],
    ['除菌', '护色', '低泡易漂'],
  ),
}

export const GROCERY_CATEGORIES: CategorySpec[] = [
  grainOil,
  snacks,
  drinks,
  dairy,
  tea,
  tissue,
  personalCare,
  cleaning,
]
