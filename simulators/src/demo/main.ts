/** The demo as a process: `pnpm demo`. A platform with a seeded facility and station and a simulated fleet. */
import { runProcess, serve } from '@carecircle/server';
import { demoEnv, demoHooks } from './hooks';

runProcess(serve(demoEnv(process.env), demoHooks()));
