import { billsSeed } from './bills'
import { catalogSeed } from './catalog-sql'
import { dealsSeed } from './deals'
import type { SeedModule } from './modules'

/** Every capability's demo data, in write order (deals and bills refer to catalog rows). */
export const SEED_MODULES: SeedModule[] = [catalogSeed, dealsSeed, billsSeed]
