/** The platform as a process: `pnpm start`. The demo lives in simulators (`pnpm demo`). */
import { runProcess, serve } from './process';

runProcess(serve(process.env));
