export { metricNames } from './attributes.js'
export {
  type FlipCacheInstrumentation,
  type FlipCacheInstrumentationOptions,
  instrumentFlipCache,
  type ObservedCache,
} from './instrument.js'
