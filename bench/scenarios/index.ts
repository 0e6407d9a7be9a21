// Every scenario group the bench runs, in order. A capability adds its file here.
import './floor'
import './catalog'
import './deals'

export { scenarioGroups } from './registry'
