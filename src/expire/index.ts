export { type Duration, parseDuration } from './duration.js'
export { type ExpirePreset, expire } from './presets.js'
