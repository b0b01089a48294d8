/** Turns a failure into a sentence in the user's language, keeping the server's own words. */
import type { TFunction } from 'i18next';
import { ApiError, NETWORK_ERROR } from './client';

export function errorMessage(t: TFunction, err: unknown): string {
  if (err instanceof ApiError) {
    if (err.code === NETWORK_ERROR) return t('errors.network');
    if (err.message !== '') return err.message;
    return t('errors.unknown', { status: err.status });
  }
  return err instanceof Error ? err.message : String(err);
}
