export { type Config, ConfigError, loadConfig } from './config';
export { type DemoSeed, seedDemo } from './demo/seed';
export { buildServer } from './http/app';
export { createLogger } from './logger';
export { type Listening, Platform, PortInUseError, VERSION } from './platform';
