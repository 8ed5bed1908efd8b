import 'reflect-metadata'
import { CACHE_MANAGER, CacheInterceptor, CacheModule, type CacheModuleOptions } from '@nestjs/cache-manager'
import type { INestApplication } from '@nestjs/common'
import { Body, Controller, Get, Inject, Module, Param, Put, UseInterceptors } from '@nestjs/common'
import { NestFactory } from '@nestjs/core'
import type { Cache } from 'cache-manager'
import Keyv from 'keyv'
import type { FlipCacheKeyvStore } from '../../src/keyv/index.js'

// A NestJS app as a user would write one: CacheModule over the flipcache Keyv store, CacheInterceptor
// on a GET route, and a PUT that writes the cache through CACHE_MANAGER. vitest compiles TypeScript
// with esbuild, which emits no decorator metadata: the decorators are applied here as plain calls,
// with explicit @Inject tokens, so DI needs no `design:paramtypes`.

/** The app's stand-in database: its own names, and how many times the GET handler ran. */
export interface Catalog {
  label: string
  names: Map<string, string>
  handlerCalls: number
}

export interface Item {
  id: string
  name: string | null
  servedBy: string
}

const catalogToken = Symbol('catalog')

/** What CacheModule.register() takes in `stores`. */
type CacheStore = Extract<NonNullable<CacheModuleOptions['stores']>, readonly unknown[]>[number]

class ItemsController {
  constructor(
    private readonly cache: Cache,
    private readonly catalog: Catalog,
  ) {}

  get(id: string): Item {
    this.catalog.handlerCalls++
    return { id, name: this.catalog.names.get(id) ?? null, servedBy: this.catalog.label }
  }

  async put(id: string, body: { name: string }): Promise<Item> {
    this.catalog.names.set(id, body.name)
    const item: Item = { id, name: body.name, servedBy: this.catalog.label }
    // The key CacheInterceptor gives the GET route: its URL.
    await this.cache.set(`/items/${id}`, item)
    return item
  }
}

Inject(CACHE_MANAGER)(ItemsController, undefined, 0)
Inject(catalogToken)(ItemsController, undefined, 1)
Controller('items')(ItemsController)
decorateMethod('get', Get(':id'), UseInterceptors(CacheInterceptor))
Param('id')(ItemsController.prototype, 'get', 0)
decorateMethod('put', Put(':id'))
Param('id')(ItemsController.prototype, 'put', 0)
Body()(ItemsController.prototype, 'put', 1)

function decorateMethod(name: keyof ItemsController, ...decorators: MethodDecorator[]): void {
  const descriptor = Object.getOwnPropertyDescriptor(ItemsController.prototype, name)
  if (descriptor === undefined) throw new Error(`ItemsController has no method ${name}`)
  for (const decorate of decorators) decorate(ItemsController.prototype, name, descriptor)
}

/**
 * The app's root module: CacheModule.registerAsync with a factory returning `stores: [new Keyv({ store })]`,
 * as docs/nestjs.md shows (register() with the same options is the same module).
 */
function appModule(store: FlipCacheKeyvStore<string>, catalog: Catalog): new () => object {
  class AppModule {}
  // This file is an ES module, so its Keyv is keyv's ESM build, while @nestjs/cache-manager (CommonJS)
  // types its option with keyv's CommonJS declarations: TypeScript holds the two Keyv classes apart
  // (private fields). At run time Nest checks the shape only. In a CommonJS Nest project (Nest's
  // default) both are the same declarations and no cast is needed; see docs/nestjs.md.
  const keyv = new Keyv({ store }) as unknown as CacheStore
  Module({
    imports: [CacheModule.registerAsync({ useFactory: () => ({ stores: [keyv], ttl: 30_000 }) })],
    controllers: [ItemsController],
    providers: [{ provide: catalogToken, useValue: catalog }],
  })(AppModule)
  return AppModule
}

export interface ItemsApp {
  app: INestApplication
  url: string
  catalog: Catalog
}

/** Starts the app on a free port of 127.0.0.1; close it with `app.close()`. */
export async function startItemsApp(store: FlipCacheKeyvStore<string>, label: string): Promise<ItemsApp> {
  const catalog: Catalog = { label, names: new Map([['1', `first (${label})`]]), handlerCalls: 0 }
  const app = await NestFactory.create(appModule(store, catalog), { logger: false })
  await app.listen(0, '127.0.0.1')
  return { app, url: await app.getUrl(), catalog }
}
