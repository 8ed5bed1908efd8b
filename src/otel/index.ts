export { channelNames } from '../observe/channels.js'
