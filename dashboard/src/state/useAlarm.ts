/**
 * While a critical alert is unclaimed, the workstation must not stay quiet: a repeating tone
 * (Web Audio, no file to load), and the tab's title and icon change so a nurse on another tab
 * sees it. The sound may be muted for a few minutes; the takeover on the page cannot be.
 * Browsers let a page sound only after someone interacted with it (signing in counts).
 */
import { useEffect, useRef, useState } from 'react';

export const MUTE_MS = 5 * 60_000;
const BEEP_EVERY_MS = 2000;

function beep(ctx: AudioContext): void {
  // Two short tones, urgent but not shrill.
  for (const [offset, frequency] of [
    [0, 880],
    [0.25, 660],
  ] as const) {
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.frequency.value = frequency;
    gain.gain.setValueAtTime(0.0001, ctx.currentTime + offset);
    gain.gain.exponentialRampToValueAtTime(0.3, ctx.currentTime + offset + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, ctx.currentTime + offset + 0.2);
    osc.connect(gain).connect(ctx.destination);
    osc.start(ctx.currentTime + offset);
    osc.stop(ctx.currentTime + offset + 0.22);
  }
}

export type AlarmSound = 'off' | 'on' | 'muted';

/** The tone while `active` and not muted; answers its state and how to mute it. */
export function useAlarmSound(active: boolean): { sound: AlarmSound; mute(): void; unmute(): void } {
  const [mutedUntil, setMutedUntil] = useState(0);
  const [now, setNow] = useState(() => Date.now());
  const ctx = useRef<AudioContext | null>(null);
  const muted = mutedUntil > now;
  const sound: AlarmSound = !active ? 'off' : muted ? 'muted' : 'on';

  useEffect(() => {
    if (sound !== 'on') return;
    const AudioCtor = window.AudioContext;
    if (!AudioCtor) return;
    ctx.current ??= new AudioCtor();
    const audio = ctx.current;
    const ring = () => {
      void audio.resume().then(
        () => beep(audio),
        () => {},
      );
    };
    ring();
    const timer = setInterval(ring, BEEP_EVERY_MS);
    return () => clearInterval(timer);
  }, [sound]);

  // Ends the mute on time, without waiting for another render.
  useEffect(() => {
    if (!muted) return;
    const timer = setTimeout(() => setNow(Date.now()), mutedUntil - Date.now() + 10);
    return () => clearTimeout(timer);
  }, [muted, mutedUntil]);

  return {
    sound,
    mute: () => {
      const t = Date.now();
      setNow(t);
      setMutedUntil(t + MUTE_MS);
    },
    unmute: () => setMutedUntil(0),
  };
}

const ALERT_ICON =
  "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 32 32'%3E%3Ccircle cx='16' cy='16' r='15' fill='%23b3261e'/%3E%3Crect x='14' y='6' width='4' height='13' rx='2' fill='white'/%3E%3Ccircle cx='16' cy='24.5' r='2.5' fill='white'/%3E%3C/svg%3E";

/** The tab's title and icon say how many critical alerts wait, while any do. */
export function useAlarmTitle(count: number, label: string): void {
  useEffect(() => {
    if (count === 0) return;
    const title = document.title;
    const link = document.querySelector<HTMLLinkElement>('link[rel~="icon"]');
    const icon = link?.href;
    document.title = `(${count}) ${label} — ${title}`;
    if (link) link.href = ALERT_ICON;
    return () => {
      document.title = title;
      if (link && icon !== undefined) link.href = icon;
    };
  }, [count, label]);
}
