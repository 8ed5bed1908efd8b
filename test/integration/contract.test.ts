import { useCaches } from '../support/cache-builder.js'
import { describeContract } from '../support/contract-suite.js'

describeContract('a single redis-server', () => useCaches())
describeContract('a single redis-server, versioned', () => useCaches(), { version: 7 })
