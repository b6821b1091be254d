import { Logger, Module, type DynamicModule, type OnModuleDestroy, type Type, Inject, Injectable } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ApiKeyStore, type AppConfig } from '@app/features';
import { AuthEvents } from './auth-events';
import { API_KEY_STORE, AUTH_OPTIONS, AuthGuard } from './auth.guard';
import { KeysController } from './keys.controller';

@Injectable()
class KeyStoreLifecycle implements OnModuleDestroy {
  constructor(@Inject(API_KEY_STORE) private readonly keys: ApiKeyStore | null) {}
  onModuleDestroy(): void {
    this.keys?.close();
  }
}

/** The global AuthGuard, the keys file, the default (no-op) AuthEvents and the key listing. */
@Module({})
export class AuthModule {
  /** `events` replaces the default (no-op) AuthEvents, e.g. with the audit trail's. */
  static forConfig(auth: AppConfig['auth'], events: Type<AuthEvents> = AuthEvents): DynamicModule {
    const logger = new Logger('Auth');
    // Read at boot so that a bad keys file stops start-up with a message naming the entry.
    const keys = auth.keysFile === undefined ? null : new ApiKeyStore(auth.keysFile, (m) => logger.error(m));
    return {
      module: AuthModule,
      controllers: [KeysController],
      providers: [
        { provide: API_KEY_STORE, useValue: keys },
        { provide: AUTH_OPTIONS, useValue: { metricsPublic: auth.metricsPublic } },
        { provide: AuthEvents, useClass: events },
        KeyStoreLifecycle,
        { provide: APP_GUARD, useClass: AuthGuard },
      ],
      exports: [AuthEvents, API_KEY_STORE],
    };
  }
}
