import { registerScenarioGroup } from './registry'

/** What the machine allows: one D1 round trip is the least a D1-backed route can add. */
registerScenarioGroup({
  name: 'floor',
  async setup() {
    return [
      {
        name: 'd1 floor (SELECT 1)',
        target: 'uncached',
        note: 'bench-only route: one trivial D1 round trip, then the baseline JSON',
        request: () => ({ path: '/__bench/d1' }),
        targets: { d1Queries: 1 },
      },
    ]
  },
})
