export { ConfigError, type Config, loadConfig } from './config';
export { createLogger } from './logger';
export { type Listening, Platform, PortInUseError, VERSION } from './platform';
export { seedDemo, type DemoSeed } from './demo/seed';
export { buildServer } from './http/app';
