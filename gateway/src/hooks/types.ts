/** The aedes hook signatures, named (aedes declares them but exports only `AedesOptions`). */
import type { AedesOptions } from 'aedes';

export type PreConnectHook = NonNullable<AedesOptions['preConnect']>;
export type AuthenticateHook = NonNullable<AedesOptions['authenticate']>;
export type AuthorizePublishHook = NonNullable<AedesOptions['authorizePublish']>;
export type AuthorizeSubscribeHook = NonNullable<AedesOptions['authorizeSubscribe']>;
export type AuthorizeForwardHook = NonNullable<AedesOptions['authorizeForward']>;
