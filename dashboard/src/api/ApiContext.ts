/** The REST client for the components below the app (one per page load, made in `App`). */
import { createContext, useContext } from 'react';
import type { ApiClient } from './client';

export const ApiContext = createContext<ApiClient | null>(null);

export function useApi(): ApiClient {
  const api = useContext(ApiContext);
  if (api === null) throw new Error('useApi() outside <ApiContext>');
  return api;
}
