/** Stopping a detached child and everything it started (code-server, its extension host, our engine). */
import type { ChildProcess } from 'node:child_process';

/**
 * SIGTERM to the child's process group, SIGKILL after 5 s if any of it is still alive. Works even
 * when the group's leader already exited but its children linger.
 */
export async function killGroup(child: ChildProcess): Promise<void> {
  if (child.pid === undefined) return;
  const pgid = child.pid;
  const alive = () => {
    try {
      process.kill(-pgid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pgid, sig);
    } catch {
      // already gone
    }
  };
  signal('SIGTERM');
  const deadline = Date.now() + 5000;
  while (alive() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  if (alive()) signal('SIGKILL');
}
