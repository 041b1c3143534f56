/** What a journey gets, and what it is. */
import type { ExpectedModel } from './expected';
import type { Inspector } from './inspector';
import type { Workbench } from './workbench';
import type { E2eWorkspace } from './workspace';

export interface JourneyContext {
  readonly wb: Workbench;
  readonly inspector: Inspector;
  readonly ws: E2eWorkspace;
  /** Computed through the engine in-process (expected.ts), never copied from the UI. */
  readonly expected: ExpectedModel;
  readonly log: (message: string) => void;
}

export interface Journey {
  /** Short name: the screenshot is test-results/e2e/<number>-<slug>.png. */
  readonly slug: string;
  /** What the user does and sees, one line. */
  readonly title: string;
  run(ctx: JourneyContext): Promise<void>;
}
