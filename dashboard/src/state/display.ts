/**
 * How this workstation shows the board: a night theme (dark, low glare, for a dimmed ward) and
 * large type (a wall screen read from across the room). Kept per browser, applied to the root
 * element so the style sheet does the rest.
 */
import { useCallback, useEffect, useState } from 'react';

export interface Display {
  night: boolean;
  large: boolean;
}

const KEY = 'carecircle.display';

export function readDisplay(stored: string | null): Display {
  try {
    const value = JSON.parse(stored ?? '{}') as Partial<Record<keyof Display, unknown>>;
    return { night: value.night === true, large: value.large === true };
  } catch {
    return { night: false, large: false };
  }
}

function storage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null; // storage refused (a locked-down kiosk): the choice lasts for this page
  }
}

export function useDisplay(): [Display, (change: Partial<Display>) => void] {
  const [display, setDisplay] = useState<Display>(() => readDisplay(storage()?.getItem(KEY) ?? null));
  useEffect(() => {
    const root = document.documentElement;
    root.dataset.theme = display.night ? 'night' : 'day';
    root.dataset.size = display.large ? 'large' : 'normal';
    storage()?.setItem(KEY, JSON.stringify(display));
  }, [display]);
  const change = useCallback((next: Partial<Display>) => setDisplay((d) => ({ ...d, ...next })), []);
  return [display, change];
}
