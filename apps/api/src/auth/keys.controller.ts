import { Controller, Get, Inject } from '@nestjs/common';
import type { ApiKeyStore, AuthScope } from '@app/features';
import { API_KEY_STORE } from './auth.guard';
import { Scope } from './scope.decorator';

/** A key as listed: never its hash. */
export interface KeySummary {
  id: string;
  scopes: readonly AuthScope[];
  datasets: readonly string[] | null;
  views: readonly string[] | null;
}

@Controller('v1/keys')
export class KeysController {
  constructor(@Inject(API_KEY_STORE) private readonly keys: ApiKeyStore | null) {}

  /** The keys of the keys file (ids, scopes, patterns); empty when auth is off. */
  @Get()
  @Scope('admin')
  list(): KeySummary[] {
    return (this.keys?.list() ?? []).map((k) => ({ id: k.id, scopes: k.scopes, datasets: k.datasets ?? null, views: k.views ?? null }));
  }
}
